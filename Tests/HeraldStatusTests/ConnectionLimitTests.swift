import Foundation
import Logging
import NIOCore
import Testing

@testable import HeraldStatus

#if canImport(Glibc)
    import Glibc
#endif

/// The status endpoints' connections are bounded: a connection past the cap is closed at once, a silent one after
/// the idle timeout, and the endpoints answer again once the silent ones are gone.
@Suite struct ConnectionLimitTests {
    /// A TCP connection to 127.0.0.1:`port`, by plain sockets (what a misbehaving client does).
    final class Connection {
        let fd: Int32

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard result == 0 else {
                close(fd)
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
        }

        deinit { close(fd) }

        func send(_ text: String) {
            _ = text.utf8CString.withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress, $0.count - 1, 0) }
        }

        /// Reads until the server closes the connection or `timeout` passes: what was read, and whether it closed.
        func readUntilClosed(timeout: Duration) -> (text: String, closed: Bool) {
            let deadline = ContinuousClock.now + timeout
            var bytes: [UInt8] = []
            while ContinuousClock.now < deadline {
                let left = deadline - ContinuousClock.now
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ms = Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
                guard poll(&p, 1, max(1, ms)) > 0 else { continue }
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { return (String(decoding: bytes, as: UTF8.self), true) }
                bytes += buffer[0..<n]
            }
            return (String(decoding: bytes, as: UTF8.self), false)
        }
    }

    static func server(cap: Int, idle: Duration) -> StatusServer {
        StatusServer(
            host: "127.0.0.1", port: 0, maxConnections: cap, idleTimeout: idle,
            logger: Logger(label: "status.test") { _ in SwiftLogNoOpLogHandler() },
            snapshot: { StatusSnapshot(version: "v", abi: "1.0", node: "n", instances: []) })
    }

    @Test func connectionsPastTheCapAreClosedAtOnceAndSilentOnesAfterTheIdleTimeout() async throws {
        let server = Self.server(cap: 4, idle: .seconds(3))
        let channel = try await server.bind()
        let port = try #require(channel.localAddress?.port)

        // Four silent connections take every place. (The server's idle clock starts at its accept, after `opened`.)
        let opened = ContinuousClock.now
        let silent = try (0..<4).map { _ in try Connection(port: port) }
        try await Task.sleep(for: .milliseconds(500))
        // One more is closed at once, before it can send anything.
        let extra = try Connection(port: port)
        // (Closed unanswered as soon as the server's event loop accepts it; on a loaded machine that can take a while.)
        // Beside the other suites on two cores the accept was seen to take over 3 s; the silent ones' idle timeout
        // (3 s) still tells the two apart: a refused connection closes before them, never after.
        let refused = extra.readUntilClosed(timeout: .seconds(8))
        #expect(refused.closed && refused.text.isEmpty, "a fifth connection was kept")

        // The silent ones are closed after the idle timeout, not before.
        for connection in silent {
            let (_, closed) = connection.readUntilClosed(timeout: .seconds(10))
            #expect(closed, "a silent connection was kept open")
        }
        let after = ContinuousClock.now - opened
        #expect(after >= .seconds(3) && after <= .seconds(15), "silent connections closed after \(after)")

        // Then the endpoints answer again; a connection with an answer pending is not cut by the idle timeout.
        let client = try Connection(port: port)
        client.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let answer = client.readUntilClosed(timeout: .seconds(3))
        #expect(answer.text.hasPrefix("HTTP/1.1 200 OK"), "\(answer.text)")
        var open = server.connections.current
        for _ in 0..<50 where open != 0 {
            try await Task.sleep(for: .milliseconds(100))
            open = server.connections.current
        }
        #expect(open == 0)
        try await channel.close()
    }

    @Test func aKeptAliveConnectionIsClosedOnceIdleAfterItsAnswer() async throws {
        let server = Self.server(cap: 64, idle: .milliseconds(400))
        let channel = try await server.bind()
        let port = try #require(channel.localAddress?.port)
        let client = try Connection(port: port)
        client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        let started = ContinuousClock.now
        let (text, closed) = client.readUntilClosed(timeout: .seconds(3))
        #expect(text.hasPrefix("HTTP/1.1 200 OK"))
        #expect(closed, "an idle kept-alive connection stayed open")
        #expect(ContinuousClock.now - started <= .milliseconds(1400))
        try await channel.close()
    }
}
