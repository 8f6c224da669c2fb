import Foundation
import PluginKit
import Testing

/// Key paths in plugin config errors read as the YAML does: `peers[1].bfd`, never `peers.Index 1.bfd`.
struct ConfigPathTests {
    struct Peer: Decodable {
        var address: String
        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(["address"])
            address = try decoder.container(keyedBy: AnyKey.self).decode(
                String.self, forKey: AnyKey(stringValue: "address"))
        }
    }
    struct Config: Decodable { var peers: [Peer] }

    @Test func anUnknownKeyInAListItemIsNamedWithItsPosition() {
        let json = #"{"peers":[{"address":"192.0.2.1"},{"address":"192.0.2.2","bfd":true}]}"#
        do {
            _ = try JSONDecoder().decode(Config.self, from: Data(json.utf8))
            Issue.record("accepted an unknown key")
        } catch let error as PluginError {
            #expect(error.message == "unknown key \"peers[1].bfd\" (known keys: address)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aDecodingErrorPathIsRenderedWithBrackets() {
        let json = #"{"peers":[{"address":"192.0.2.1"},{"address":7}]}"#
        do {
            _ = try JSONDecoder().decode(Config.self, from: Data(json.utf8))
            Issue.record("accepted a number for a string")
        } catch DecodingError.typeMismatch(_, let context) {
            #expect(configPath(context.codingPath) == "peers[1].address")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func nestedListsAndTopLevelPositions() {
        let keys: [any CodingKey] = [
            AnyKey(intValue: 0)!, AnyKey(stringValue: "nodeSelectors"), AnyKey(intValue: 2)!,
            AnyKey(stringValue: "matchExpressions"), AnyKey(intValue: 1)!, AnyKey(stringValue: "key"),
        ]
        #expect(configPath(keys) == "[0].nodeSelectors[2].matchExpressions[1].key")
        #expect(configPath([]) == "")
    }
}
