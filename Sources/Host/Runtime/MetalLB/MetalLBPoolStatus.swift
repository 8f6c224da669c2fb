import Foundation
import HeraldCore
import HeraldIPAM
import HeraldKube
import HeraldKubeModels
import Logging
import ServiceLifecycle

/// MetalLB mode, on the allocator: each IPAddressPool's `status` (`assignedIPv4`, `assignedIPv6`, `availableIPv4`,
/// `availableIPv6`, as MetalLB's controller writes them) kept to the leading allocator's usage. Checked every
/// `interval`; a pool is written only when its counts change, and only while this host leads (the usage is nil
/// otherwise). A pool whose CRD has no status subresource, or which is gone, is skipped until its counts change.
package final class MetalLBPoolStatus: ServiceLifecycle.Service, Sendable {
    /// The counts MetalLB shows in a pool's status.
    package struct Counts: Hashable, Sendable, Encodable {
        package var assignedIPv4: Int64
        package var assignedIPv6: Int64
        package var availableIPv4: Int64
        package var availableIPv6: Int64

        /// The counts of `statistics` (a family the pool has no range of counts 0; counts past Int64 saturate).
        package init(_ statistics: PoolStatistics) {
            func count(_ value: UInt128?) -> Int64 { value.map { $0 > UInt128(Int64.max) ? .max : Int64($0) } ?? 0 }
            assignedIPv4 = count(statistics.usage[.ipv4]?.inUse)
            assignedIPv6 = count(statistics.usage[.ipv6]?.inUse)
            availableIPv4 = count(statistics.usage[.ipv4]?.free)
            availableIPv6 = count(statistics.usage[.ipv6]?.free)
        }
    }

    let client: KubeClient
    let namespace: String
    let usage: @Sendable () -> [PoolStatistics]?
    let interval: Duration
    let logger: Logger

    package init(
        client: KubeClient, namespace: String, interval: Duration = .seconds(1), logger: Logger,
        usage: @escaping @Sendable () -> [PoolStatistics]?
    ) {
        self.client = client
        self.namespace = namespace
        self.usage = usage
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        var written: [String: Counts] = [:]
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if let pools = usage() {
                for pool in pools {
                    let counts = Counts(pool)
                    guard written[pool.pool] != counts else { continue }
                    // Said once per change: a refused write is not retried until the counts change again.
                    written[pool.pool] = counts
                    await write(counts, pool: pool.pool)
                }
            } else {
                // Not leading: the next term writes every pool once.
                written = [:]
            }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }

    func write(_ counts: Counts, pool: String) async {
        struct Body: Encodable { var status: Counts }
        do {
            let body = try JSONEncoder().encode(Body(status: counts))
            _ = try await client.patch(
                MetalLBResource<MetalLBKinds.IPAddressPool>.self, name: pool, namespace: namespace,
                subresource: "status", body: Array(body))
        } catch {
            logger.warning(
                "MetalLB: cannot write the status of IPAddressPool \(namespace)/\(pool): \(error)",
                metadata: ["pool": .string(pool)])
        }
    }
}
