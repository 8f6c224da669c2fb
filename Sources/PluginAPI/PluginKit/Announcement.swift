/// One address the host asks this node to announce. A copy: nothing in it points into host memory.
public struct Announcement: Sendable, Hashable {
    /// The address family of an announcement.
    public enum Family: Sendable, Hashable { case ipv4, ipv6 }

    /// Stable id; `withdraw(id:)` names the same id later.
    public var id: String
    /// IPv4 or IPv6; `addressBytes` holds 4 or 16 bytes to match.
    public var family: Family
    /// The address in network order: 4 bytes for IPv4, 16 for IPv6.
    public var addressBytes: [UInt8]
    /// The prefix length in bits, at most the family's width (32 or 128 for a single address).
    public var prefixLength: Int
    /// The address as text (`192.0.2.10`, `2001:db8::10`).
    public var address: String
    /// The services this address serves, as `namespace/name`.
    public var services: [String]
    /// The advertisement's attributes as JSON object text.
    public var attributesJSON: String
    /// The advertisement that produced this announcement.
    public var advertisement: String

    /// An announcement built by hand, for a plugin's own tests (the kit builds them from the host's calls).
    public init(
        id: String, family: Family, addressBytes: [UInt8], prefixLength: Int, address: String, services: [String],
        attributesJSON: String = "{}", advertisement: String = ""
    ) {
        self.id = id
        self.family = family
        self.addressBytes = addressBytes
        self.prefixLength = prefixLength
        self.address = address
        self.services = services
        self.attributesJSON = attributesJSON
        self.advertisement = advertisement
    }

    /// Copies a borrowed C announcement, honouring its struct_size. Nil when required fields are missing or invalid.
    init?(_ c: UnsafePointer<herald_announcement>) {
        let a = c.pointee
        guard a.struct_size >= MemoryLayout<herald_announcement>.offset(of: \.attributes_json)! + 8,
            let idPointer = a.id, let textPointer = a.address_text
        else { return nil }
        let width: Int
        switch Int32(a.family) {
        case HERALD_FAMILY_IPV4:
            family = .ipv4
            width = 4
        case HERALD_FAMILY_IPV6:
            family = .ipv6
            width = 16
        default: return nil
        }
        guard Int(a.prefix_length) <= width * 8 else { return nil }
        id = String(cString: idPointer)
        prefixLength = Int(a.prefix_length)
        addressBytes = withUnsafeBytes(of: a.address) { Array($0.prefix(width)) }
        address = String(cString: textPointer)
        var services: [String] = []
        if let list = a.services {
            for index in 0..<a.service_count {
                if let s = list[index] { services.append(String(cString: s)) }
            }
        }
        self.services = services
        attributesJSON = a.attributes_json.map { String(cString: $0) } ?? "{}"
        let advertisementEnd = MemoryLayout<herald_announcement>.offset(of: \.advertisement)! + 8
        if a.struct_size >= advertisementEnd, let adv = a.advertisement {
            advertisement = String(cString: adv)
        } else {
            advertisement = ""
        }
    }
}

/// The node this instance runs on.
public struct NodeInfo: Sendable, Hashable {
    /// The Kubernetes node name, or the configured name when the host runs without a cluster.
    public var name: String
    /// The node's labels.
    public var labels: [String: String]
    /// The node's IP addresses as text (`192.0.2.10`, `2001:db8::10`), InternalIP first.
    public var addresses: [String]

    /// A node described by hand, for a plugin's own tests.
    public init(name: String, labels: [String: String] = [:], addresses: [String] = []) {
        self.name = name
        self.labels = labels
        self.addresses = addresses
    }

    init(_ c: UnsafePointer<herald_node_info>?) {
        guard let n = c?.pointee else {
            self.init(name: "")
            return
        }
        var labels: [String: String] = [:]
        if let list = n.labels {
            for index in 0..<n.label_count {
                if let k = list[index].key, let v = list[index].value {
                    labels[String(cString: k)] = String(cString: v)
                }
            }
        }
        var addresses: [String] = []
        if let list = n.addresses {
            for index in 0..<n.address_count {
                if let a = list[index] { addresses.append(String(cString: a)) }
            }
        }
        self.init(name: n.name.map { String(cString: $0) } ?? "", labels: labels, addresses: addresses)
    }
}
