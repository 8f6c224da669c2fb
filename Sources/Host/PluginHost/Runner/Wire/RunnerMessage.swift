/// One message of the runner protocol (see ``RunnerWire``).
package enum RunnerMessage: Equatable, Sendable {
    // Host → runner.
    /// The first frame: which library to load and the limits to put on the runner before it does.
    case hello(Hello)
    /// An ABI call on one of the runner's instances (`instance` is 0 for `create`).
    case call(sequence: UInt32, instance: UInt32, RunnerCall)

    // Runner → host.
    /// The library loaded: its descriptor.
    case described(Described)
    /// The library could not be loaded (or the version is not spoken); the runner exits.
    case refused(String)
    /// The outcome of the call with this sequence number.
    case reply(sequence: UInt32, Reply)
    /// Callbacks a plugin made through `herald_host_api`, from any of its threads.
    case log(instance: UInt32, level: Int32, message: String)
    case event(instance: UInt32, type: Int32, reason: String, message: String, announcementID: String?)
    case health(instance: UInt32, state: Int32, detail: String?)

    package struct Hello: Equatable, Sendable {
        package var version: UInt16
        package var library: String
        /// RLIMIT_AS for the runner, bytes (0: none).
        package var memoryLimit: UInt64
        /// RLIMIT_NOFILE for the runner (0: the host's).
        package var fileLimit: UInt32

        package init(version: UInt16 = RunnerWire.version, library: String, memoryLimit: UInt64, fileLimit: UInt32) {
            self.version = version
            self.library = library
            self.memoryLimit = memoryLimit
            self.fileLimit = fileLimit
        }
    }

    package struct Described: Equatable, Sendable {
        package var id: String
        package var name: String
        package var version: String
        package var description: String
        package var protocols: [String]
        package var flags: UInt32
        package var abiMajor: UInt16
        package var abiMinor: UInt16
        /// What the runner saw of the entry function: the same descriptor twice, and NULL for another major.
        package var entryStable: Bool
        package var entryRefusesOtherMajor: Bool

        package init(
            id: String, name: String, version: String, description: String, protocols: [String], flags: UInt32,
            abiMajor: UInt16, abiMinor: UInt16, entryStable: Bool, entryRefusesOtherMajor: Bool
        ) {
            self.id = id
            self.name = name
            self.version = version
            self.description = description
            self.protocols = protocols
            self.flags = flags
            self.abiMajor = abiMajor
            self.abiMinor = abiMinor
            self.entryStable = entryStable
            self.entryRefusesOtherMajor = entryRefusesOtherMajor
        }
    }

    /// A call's outcome: its status and error text; for `create` the new instance's number; for `health` the state
    /// (in `status`) and detail (in `message`); for `metrics` the metrics.
    package struct Reply: Equatable, Sendable {
        package var status: Int32
        package var message: String
        package var instance: UInt32
        package var metrics: [RunnerMetric]

        package init(status: Int32, message: String = "", instance: UInt32 = 0, metrics: [RunnerMetric] = []) {
            self.status = status
            self.message = message
            self.instance = instance
            self.metrics = metrics
        }
    }
}

/// The ABI calls, as the runner protocol carries them.
package enum RunnerCall: Equatable, Sendable {
    case create
    case configure(json: String, node: RunnerNode)
    case start
    case announce(RunnerAnnouncement)
    case withdraw(id: String)
    case health
    case metrics
    case stop
    case destroy

    /// The call's name, for messages.
    package var name: String {
        switch self {
        case .create: "create"
        case .configure: "configure"
        case .start: "start"
        case .announce(let a): "announce \(a.addressText)/\(a.prefixLength)"
        case .withdraw(let id): "withdraw \(id)"
        case .health: "health"
        case .metrics: "collect_metrics"
        case .stop: "stop"
        case .destroy: "destroy"
        }
    }
}

/// `herald_node_info` on the wire.
package struct RunnerNode: Equatable, Sendable {
    package var name: String
    package var labels: [RunnerPair]
    package var addresses: [String]

    package init(name: String, labels: [RunnerPair], addresses: [String]) {
        self.name = name
        self.labels = labels
        self.addresses = addresses
    }
}

/// `herald_announcement` on the wire.
package struct RunnerAnnouncement: Equatable, Sendable {
    package var id: String
    package var family: UInt8
    package var prefixLength: UInt8
    /// 16 bytes, network order (IPv4 in the first 4).
    package var address: [UInt8]
    package var addressText: String
    package var services: [String]
    package var attributesJSON: String
    package var advertisement: String

    package init(
        id: String, family: UInt8, prefixLength: UInt8, address: [UInt8], addressText: String, services: [String],
        attributesJSON: String, advertisement: String
    ) {
        self.id = id
        self.family = family
        self.prefixLength = prefixLength
        self.address = address
        self.addressText = addressText
        self.services = services
        self.attributesJSON = attributesJSON
        self.advertisement = advertisement
    }
}

/// One metric a plugin emitted into `herald_metrics_sink`.
package struct RunnerMetric: Equatable, Sendable {
    package var kind: Int32
    package var name: String
    package var help: String?
    package var labels: [RunnerPair]
    package var value: Double

    package init(kind: Int32, name: String, help: String?, labels: [RunnerPair], value: Double) {
        self.kind = kind
        self.name = name
        self.help = help
        self.labels = labels
        self.value = value
    }

    package static func == (a: Self, b: Self) -> Bool {
        // Bit patterns, so that a NaN equals itself after a round trip.
        (a.kind, a.name, a.help, a.labels, a.value.bitPattern) == (b.kind, b.name, b.help, b.labels, b.value.bitPattern)
    }
}

extension RunnerMessage {
    enum Tag: UInt8 {
        case hello = 1, call = 2, described = 16, refused = 17, reply = 18, log = 19, event = 20, health = 21
    }

    func encode(into w: inout RunnerWire.Writer) {
        switch self {
        case .hello(let h):
            w.u8(Tag.hello.rawValue)
            w.u16(h.version)
            w.string(h.library)
            w.u64(h.memoryLimit)
            w.u32(h.fileLimit)
        case .call(let sequence, let instance, let call):
            w.u8(Tag.call.rawValue)
            w.u32(sequence)
            w.u32(instance)
            call.encode(into: &w)
        case .described(let d):
            w.u8(Tag.described.rawValue)
            w.string(d.id)
            w.string(d.name)
            w.string(d.version)
            w.string(d.description)
            w.strings(d.protocols)
            w.u32(d.flags)
            w.u16(d.abiMajor)
            w.u16(d.abiMinor)
            w.bool(d.entryStable)
            w.bool(d.entryRefusesOtherMajor)
        case .refused(let message):
            w.u8(Tag.refused.rawValue)
            w.string(message)
        case .reply(let sequence, let r):
            w.u8(Tag.reply.rawValue)
            w.u32(sequence)
            w.i32(r.status)
            w.string(r.message)
            w.u32(r.instance)
            w.u32(UInt32(r.metrics.count))
            for m in r.metrics {
                w.i32(m.kind)
                w.string(m.name)
                w.optional(m.help)
                w.pairs(m.labels)
                w.f64(m.value)
            }
        case .log(let instance, let level, let message):
            w.u8(Tag.log.rawValue)
            w.u32(instance)
            w.i32(level)
            w.string(message)
        case .event(let instance, let type, let reason, let message, let announcementID):
            w.u8(Tag.event.rawValue)
            w.u32(instance)
            w.i32(type)
            w.string(reason)
            w.string(message)
            w.optional(announcementID)
        case .health(let instance, let state, let detail):
            w.u8(Tag.health.rawValue)
            w.u32(instance)
            w.i32(state)
            w.optional(detail)
        }
    }

    static func decode(from r: inout RunnerWire.Reader) throws(RunnerWire.Malformed) -> RunnerMessage {
        let raw = try r.u8("the message tag")
        guard let tag = Tag(rawValue: raw) else { throw RunnerWire.Malformed("unknown message tag \(raw)") }
        switch tag {
        case .hello:
            return .hello(
                Hello(
                    version: try r.u16("the version"), library: try r.string("the library"),
                    memoryLimit: try r.u64("the memory limit"), fileLimit: try r.u32("the file limit")))
        case .call:
            let sequence = try r.u32("the sequence number")
            let instance = try r.u32("the instance")
            return .call(sequence: sequence, instance: instance, try RunnerCall.decode(from: &r))
        case .described:
            return .described(
                Described(
                    id: try r.string("the id"), name: try r.string("the name"), version: try r.string("the version"),
                    description: try r.string("the description"), protocols: try r.strings("the protocols"),
                    flags: try r.u32("the flags"), abiMajor: try r.u16("the ABI major"),
                    abiMinor: try r.u16("the ABI minor"), entryStable: try r.bool("entryStable"),
                    entryRefusesOtherMajor: try r.bool("entryRefusesOtherMajor")))
        case .refused:
            return .refused(try r.string("the refusal"))
        case .reply:
            let sequence = try r.u32("the sequence number")
            let status = try r.i32("the status")
            let message = try r.string("the message")
            let instance = try r.u32("the instance")
            // A metric takes at least 4 + 4 + 1 + 4 + 8 bytes.
            let n = try r.count("the metrics", minimumSize: 21)
            var metrics: [RunnerMetric] = []
            metrics.reserveCapacity(n)
            for _ in 0..<n {
                metrics.append(
                    RunnerMetric(
                        kind: try r.i32("a metric's kind"), name: try r.string("a metric's name"),
                        help: try r.optional("a metric's help"), labels: try r.pairs("a metric's labels"),
                        value: try r.f64("a metric's value")))
            }
            return .reply(
                sequence: sequence, Reply(status: status, message: message, instance: instance, metrics: metrics))
        case .log:
            return .log(
                instance: try r.u32("the instance"), level: try r.i32("the level"), message: try r.string("the line"))
        case .event:
            return .event(
                instance: try r.u32("the instance"), type: try r.i32("the type"), reason: try r.string("the reason"),
                message: try r.string("the message"), announcementID: try r.optional("the announcement id"))
        case .health:
            return .health(
                instance: try r.u32("the instance"), state: try r.i32("the state"),
                detail: try r.optional("the detail"))
        }
    }
}

extension RunnerCall {
    enum Tag: UInt8 {
        case create = 1, configure, start, announce, withdraw, health, metrics, stop, destroy
    }

    func encode(into w: inout RunnerWire.Writer) {
        switch self {
        case .create: w.u8(Tag.create.rawValue)
        case .configure(let json, let node):
            w.u8(Tag.configure.rawValue)
            w.string(json)
            w.string(node.name)
            w.pairs(node.labels)
            w.strings(node.addresses)
        case .start: w.u8(Tag.start.rawValue)
        case .announce(let a):
            w.u8(Tag.announce.rawValue)
            w.string(a.id)
            w.u8(a.family)
            w.u8(a.prefixLength)
            var address = a.address.prefix(16).map { $0 }
            address += [UInt8](repeating: 0, count: 16 - address.count)
            w.bytes += address
            w.string(a.addressText)
            w.strings(a.services)
            w.string(a.attributesJSON)
            w.string(a.advertisement)
        case .withdraw(let id):
            w.u8(Tag.withdraw.rawValue)
            w.string(id)
        case .health: w.u8(Tag.health.rawValue)
        case .metrics: w.u8(Tag.metrics.rawValue)
        case .stop: w.u8(Tag.stop.rawValue)
        case .destroy: w.u8(Tag.destroy.rawValue)
        }
    }

    static func decode(from r: inout RunnerWire.Reader) throws(RunnerWire.Malformed) -> RunnerCall {
        let raw = try r.u8("the call")
        guard let tag = Tag(rawValue: raw) else { throw RunnerWire.Malformed("unknown call \(raw)") }
        switch tag {
        case .create: return .create
        case .configure:
            return .configure(
                json: try r.string("the configuration"),
                node: RunnerNode(
                    name: try r.string("the node name"), labels: try r.pairs("the node labels"),
                    addresses: try r.strings("the node addresses")))
        case .start: return .start
        case .announce:
            let id = try r.string("the announcement id")
            let family = try r.u8("the family")
            let prefixLength = try r.u8("the prefix length")
            let address = Array(try r.take(16, "the address"))
            guard family == 4 || family == 6 else { throw RunnerWire.Malformed("family \(family)") }
            guard prefixLength <= (family == 4 ? 32 : 128) else {
                throw RunnerWire.Malformed("prefix length \(prefixLength) for IPv\(family)")
            }
            return .announce(
                RunnerAnnouncement(
                    id: id, family: family, prefixLength: prefixLength, address: address,
                    addressText: try r.string("the address text"), services: try r.strings("the services"),
                    attributesJSON: try r.string("the attributes"), advertisement: try r.string("the advertisement")))
        case .withdraw: return .withdraw(id: try r.string("the announcement id"))
        case .health: return .health
        case .metrics: return .metrics
        case .stop: return .stop
        case .destroy: return .destroy
        }
    }
}
