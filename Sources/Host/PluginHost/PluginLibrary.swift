import CHeraldPlugin

#if canImport(Glibc)
    import Glibc
#endif

/// What a loaded plugin says about itself, copied out of its descriptor.
package struct PluginDescriptor: Sendable, Equatable {
    package enum Kind: String, Sendable { case exclusive, routed }

    package var id: String
    package var name: String
    package var version: String
    package var description: String
    package var protocols: [String]
    package var kind: Kind
    package var abiMajor: Int
    package var abiMinor: Int
}

/// A plugin shared object, loaded once and never unloaded (RTLD_NODELETE: Swift runtimes must not be unloaded).
package final class PluginLibrary: @unchecked Sendable {
    // Immutable after init; the descriptor and vtable are owned by the plugin and live until process exit.
    package let path: String
    package let info: PluginDescriptor
    let descriptor: UnsafePointer<herald_plugin_descriptor>
    let entry: herald_plugin_entry_fn
    let vtable: UnsafePointer<herald_plugin_vtable>
    /// The plugin's vtable struct_size: slots past it are absent.
    let vtableSize: Int
    /// The runner that loaded the library in a child process (`isolation: process`), or nil when it is loaded here.
    package let runner: PluginRunnerLink?
    /// What the runner saw of the entry function (the same descriptor twice; NULL for another major).
    let runnerEntryChecks: (stable: Bool, refusesOtherMajor: Bool)?

    /// The plugin ABI this host speaks, as `MAJOR.MINOR` (herald_plugin.h).
    package static let abiVersion = "\(HERALD_ABI_MAJOR).\(HERALD_ABI_MINOR)"

    /// Opens `path` and validates its descriptor. The caller has already checked ownership and permissions.
    init(path: String) throws(PluginLoadError) {
        self.path = path
        // Check the ELF magic first: dlopen's message for a text file is cryptic.
        guard let file = fopen(path, "rb") else {
            throw .dlopenFailed(path: path, message: String(cString: strerror(errno)))
        }
        var magic = [UInt8](repeating: 0, count: 4)
        let read = fread(&magic, 1, 4, file)
        fclose(file)
        guard read == 4, magic == [0x7F, 0x45, 0x4C, 0x46] else { throw .notELF(path: path) }

        CrashRecord.install()
        let place = CrashRecord.place(library: path, instance: nil)
        dlerror()
        // dlopen runs the library's initialisers: plugin code.
        let opened = CrashRecord.during(place, "dlopen (the library's initialisers)") {
            dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)
        }
        guard let handle = opened else {
            throw .dlopenFailed(path: path, message: dlerror().map { String(cString: $0) } ?? "unknown error")
        }
        guard let symbol = dlsym(handle, HERALD_PLUGIN_ENTRY_SYMBOL) else {
            throw Self.mentionsEntry(path) ? .hiddenEntry(path: path) : .missingEntry(path: path)
        }
        let entry = unsafeBitCast(symbol, to: herald_plugin_entry_fn.self)
        let returned = CrashRecord.during(place, HERALD_PLUGIN_ENTRY_SYMBOL) {
            entry(UInt32(HERALD_ABI_MAJOR), UInt32(HERALD_ABI_MINOR))
        }
        guard let descriptor = returned else {
            throw .entryRefused(path: path)
        }
        let d = descriptor.pointee
        guard Int(d.struct_size) >= Self.descriptorMinimum else {
            throw .structTooSmall(
                path: path, structure: "the descriptor", size: Int(d.struct_size), minimum: Self.descriptorMinimum)
        }
        guard Int(d.abi_major) == Int(HERALD_ABI_MAJOR) else {
            throw .abiMajorMismatch(path: path, plugin: Int(d.abi_major), host: Int(HERALD_ABI_MAJOR))
        }
        guard let vtable = d.vtable else { throw .invalidDescriptor(path: path, problem: "vtable is NULL") }
        guard Int(vtable.pointee.struct_size) >= Self.vtableMinimum else {
            throw .structTooSmall(
                path: path, structure: "the vtable", size: Int(vtable.pointee.struct_size), minimum: Self.vtableMinimum)
        }
        let v = vtable.pointee
        guard v.create != nil, v.configure != nil, v.start != nil, v.announce != nil, v.withdraw != nil,
            v.stop != nil, v.destroy != nil
        else {
            throw .invalidDescriptor(path: path, problem: "a required vtable function (create…destroy) is NULL")
        }
        guard let id = d.id.map({ String(cString: $0) }), Self.isValidID(id) else {
            throw .invalidDescriptor(
                path: path, problem: "id must be a non-empty reverse-DNS name like dev.example.thing")
        }
        let exclusive = d.flags & HERALD_PLUGIN_EXCLUSIVE != 0
        let routed = d.flags & HERALD_PLUGIN_ROUTED != 0
        guard exclusive != routed else {
            throw .invalidDescriptor(path: path, problem: "flags must set exactly one of EXCLUSIVE and ROUTED")
        }
        var protocols: [String] = []
        if let list = d.protocols {
            guard d.protocol_count <= 64 else {
                throw .invalidDescriptor(path: path, problem: "protocol_count \(d.protocol_count) is implausible")
            }
            for index in 0..<d.protocol_count { if let p = list[index] { protocols.append(String(cString: p)) } }
        }
        self.descriptor = descriptor
        self.entry = entry
        self.vtable = vtable
        self.vtableSize = Int(vtable.pointee.struct_size)
        self.runner = nil
        self.runnerEntryChecks = nil
        self.info = PluginDescriptor(
            id: id,
            name: d.name.map { String(cString: $0) } ?? id,
            version: d.version.map { String(cString: $0) } ?? "unknown",
            description: d.description.map { String(cString: $0) } ?? "",
            protocols: protocols,
            kind: exclusive ? .exclusive : .routed,
            abiMajor: Int(d.abi_major),
            abiMinor: Int(d.abi_minor))
    }

    /// A library loaded by a plugin runner: its descriptor as the runner read it, and a vtable that relays every call
    /// to the runner (``RunnerProxy``).
    init(runner: PluginRunnerLink, described d: RunnerMessage.Described, path: String) {
        self.path = path
        self.runner = runner
        self.runnerEntryChecks = (d.entryStable, d.entryRefusesOtherMajor)
        let descriptor = UnsafeMutablePointer<herald_plugin_descriptor>.allocate(capacity: 1)
        descriptor.initialize(to: herald_plugin_descriptor())
        descriptor.pointee.struct_size = UInt32(MemoryLayout<herald_plugin_descriptor>.size)
        descriptor.pointee.abi_major = d.abiMajor
        descriptor.pointee.abi_minor = d.abiMinor
        descriptor.pointee.flags = d.flags
        descriptor.pointee.vtable = RunnerProxy.vtable
        // Unretained: the library holds the link for as long as any instance can use the descriptor.
        descriptor.pointee.factory_context = Unmanaged.passUnretained(runner).toOpaque()
        self.descriptor = UnsafePointer(descriptor)
        self.entry = { _, _ in nil }
        self.vtable = RunnerProxy.vtable
        self.vtableSize = Int(RunnerProxy.vtable.pointee.struct_size)
        self.info = PluginDescriptor(
            id: d.id, name: d.name, version: d.version, description: d.description, protocols: d.protocols,
            kind: d.flags & HERALD_PLUGIN_EXCLUSIVE != 0 ? .exclusive : .routed, abiMajor: Int(d.abiMajor),
            abiMinor: Int(d.abiMinor))
    }

    deinit {
        // Only a runner's descriptor is the host's own; a loaded library's lives until the process exits.
        if runner != nil { UnsafeMutablePointer(mutating: descriptor).deallocate() }
    }

    /// The descriptor's factory_context, or nil when the plugin's descriptor ends before it (an older minor).
    var factoryContext: UnsafeMutableRawPointer? {
        let end =
            MemoryLayout<herald_plugin_descriptor>.offset(of: \.factory_context)! + MemoryLayout<UnsafeRawPointer>.size
        return Int(descriptor.pointee.struct_size) >= end ? descriptor.pointee.factory_context : nil
    }

    /// Whether the plugin's vtable is large enough to contain the slot at `offset`.
    func hasSlot(_ key: PartialKeyPath<herald_plugin_vtable>) -> Bool {
        guard let offset = MemoryLayout<herald_plugin_vtable>.offset(of: key) else { return false }
        return vtableSize >= offset + MemoryLayout<UnsafeRawPointer>.size
    }

    static let descriptorMinimum =
        MemoryLayout<herald_plugin_descriptor>.offset(of: \.vtable)! + MemoryLayout<UnsafeRawPointer>.size
    static let vtableMinimum =
        MemoryLayout<herald_plugin_vtable>.offset(of: \.destroy)! + MemoryLayout<UnsafeRawPointer>.size

    /// Whether the file holds the entry's name at all (in a symbol table that dlsym does not see): then the symbol is
    /// defined but hidden. A stripped library holds no such name and gets the general message.
    static func mentionsEntry(_ path: String) -> Bool {
        guard let file = fopen(path, "rb") else { return false }
        defer { fclose(file) }
        let needle = Array(HERALD_PLUGIN_ENTRY_SYMBOL.utf8) + [0]
        var carry: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n == 0 { return false }
            let window = carry + chunk[0..<n]
            if window.count >= needle.count {
                for start in 0...(window.count - needle.count)
                where window[start] == needle[0] && window[start..<start + needle.count].elementsEqual(needle) {
                    return true
                }
            }
            carry = Array(window.suffix(needle.count - 1))
        }
    }

    static func isValidID(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 128, id.contains(".") else { return false }
        return id.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
        }
    }
}
