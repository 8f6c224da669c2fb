import Foundation
import HeraldKubeModels
import NIOCore
import NIOFoundationCompat

/// One event of a watch stream (`{"type": ..., "object": ...}`, one per line).
public enum WatchEvent<Object: KubeResource>: Sendable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    /// A progress marker carrying only a resourceVersion to resume from.
    case bookmark(resourceVersion: String)
    /// The server ended the watch with a Status, e.g. `410 Expired`.
    case error(KubeStatus)

    /// The resourceVersion this event moves the watch to, if any.
    public var resourceVersion: String? {
        switch self {
        case .added(let o), .modified(let o), .deleted(let o): return o.metadata.resourceVersion
        case .bookmark(let rv): return rv
        case .error: return nil
        }
    }
}

/// Decodes one watch line. Pure: no I/O.
struct WatchEventDecoder<Object: KubeResource> {
    private struct Header: Decodable { var type: String }
    private struct Envelope<T: Decodable>: Decodable { var object: T }
    private struct BookmarkObject: Decodable {
        struct Meta: Decodable { var resourceVersion: String? }
        var metadata: Meta?
    }

    let decoder = JSONDecoder()

    func decode(_ line: ByteBuffer) throws -> WatchEvent<Object> {
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: line)
        } catch {
            throw KubeError(
                .decoding,
                "watch line is not a watch event: \(line.getString(at: line.readerIndex, length: min(200, line.readableBytes)) ?? "")"
            )
        }
        do {
            switch header.type {
            case "ADDED": return .added(try decoder.decode(Envelope<Object>.self, from: line).object)
            case "MODIFIED": return .modified(try decoder.decode(Envelope<Object>.self, from: line).object)
            case "DELETED": return .deleted(try decoder.decode(Envelope<Object>.self, from: line).object)
            case "BOOKMARK":
                let rv = try decoder.decode(Envelope<BookmarkObject>.self, from: line).object.metadata?.resourceVersion
                return .bookmark(resourceVersion: rv ?? "")
            case "ERROR": return .error(try decoder.decode(Envelope<KubeStatus>.self, from: line).object)
            default: throw KubeError(.decoding, "unknown watch event type \(header.type)")
            }
        } catch let error as KubeError {
            throw error
        } catch {
            throw KubeError(.decoding, "cannot decode \(header.type) \(Object.kind) event: \(error)")
        }
    }
}
