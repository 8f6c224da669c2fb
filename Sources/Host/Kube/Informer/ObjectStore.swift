import HeraldKubeModels
import Synchronization

/// A thread-safe cache of objects keyed by ``ObjectKey``, with secondary indexes (e.g. EndpointSlices by Service
/// name, Services by namespace). Reflectors write it; reconcilers read it.
public final class ObjectStore<Object: KubeResource>: Sendable {
    /// Computes the index values of an object.
    public typealias IndexFunction = @Sendable (Object) -> [String]

    /// An object on the heap: the table then holds a reference per slot, not a whole object (hundreds of bytes, in
    /// every slot of a table kept a quarter empty).
    final class Box: Sendable {
        let object: Object
        /// What a reader derived from this version of the object, and for which generation of its other inputs
        /// (see ``forEach(derivingOnce:_:_:)``). Read and written only under the store's lock.
        nonisolated(unsafe) var derived: AnyObject?
        init(_ object: Object) { self.object = object }
    }

    /// A derived value as a box keeps it: one allocation, no existential.
    final class Derived<Value: Sendable>: Sendable {
        let generation: UInt64
        let value: Value
        init(_ value: Value, generation: UInt64) {
            self.value = value
            self.generation = generation
        }
    }

    struct State {
        var items: [ObjectKey: Box] = [:]
        var indices: [String: [String: Set<ObjectKey>]] = [:]
        var content = StoreContent()
    }

    /// A stable fingerprint of one object version: FNV-1a of `namespace/name@resourceVersion` (the same on every
    /// host and every run, unlike `Hasher`).
    static func fingerprint(_ key: ObjectKey, _ version: String?) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(key)@\(version ?? "")".utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// The store's content digest and change count, read together with nothing changing in between.
    public var content: StoreContent { state.withLock { $0.content } }

    let indexers: [String: IndexFunction]
    let state = Mutex(State())

    /// Creates a store with named index functions.
    public init(indexers: [String: IndexFunction] = [:]) {
        self.indexers = indexers
    }

    /// The object with this key.
    public func get(_ key: ObjectKey) -> Object? { state.withLock { $0.items[key]?.object } }

    /// Every object. (A closure, not the key path `\.object`: in this generic type a key path is instantiated anew at
    /// every call, which cost more than the copy at the allocator's rate of calls.)
    public func list() -> [Object] { state.withLock { $0.items.values.map { $0.object } } }

    /// What `transform` makes of every object, read in place: no copy of the cache, which at 10,000 Services is
    /// megabytes per call. `transform` runs under the store's lock, so it must be quick and take no other lock.
    public func compactMap<T: Sendable>(_ transform: (Object) throws -> T?) rethrows -> [T] {
        try state.withLock { s in try s.items.values.compactMap { try transform($0.object) } }
    }

    /// Calls `body` with what `derive` makes of every object, deriving each version of an object only once per
    /// `generation`: the value is kept with that version, and reused while the object is unchanged and the reader
    /// passes the same generation (which it changes when the other inputs of `derive` change). A reader that derives
    /// the same thing from every object pass after pass (the speaker screening 10,000 Services) then pays a lookup per
    /// unchanged object. Each object keeps one derived value: the store has one such reader. Both closures run under
    /// the store's lock, so they must be quick and take no other lock.
    public func forEach<T: Sendable>(
        derivingOnce generation: UInt64, _ derive: (Object) -> T, _ body: (T) -> Void
    ) {
        state.withLock { s in
            for box in s.items.values {
                if let kept = box.derived as? Derived<T>, kept.generation == generation {
                    body(kept.value)
                } else {
                    let value = derive(box.object)
                    box.derived = Derived(value, generation: generation)
                    body(value)
                }
            }
        }
    }

    /// Every key.
    public var keys: Set<ObjectKey> { state.withLock { Set($0.items.keys) } }

    /// The number of objects.
    public var count: Int { state.withLock { $0.items.count } }

    /// The objects whose index `name` contains `value`.
    public func byIndex(_ name: String, _ value: String) -> [Object] {
        state.withLock { s in (s.indices[name]?[value] ?? []).compactMap { s.items[$0]?.object } }
    }

    /// Inserts or replaces an object; returns the previous one.
    @discardableResult
    public func upsert(_ object: Object) -> Object? {
        let key = ObjectKey(object.metadata)
        return state.withLock { s in
            let old = s.items.updateValue(Box(object), forKey: key)?.object
            if let old {
                unindex(old, key, &s)
                s.content.digest ^= Self.fingerprint(key, old.metadata.resourceVersion)
            }
            index(object, key, &s)
            s.content.digest ^= Self.fingerprint(key, object.metadata.resourceVersion)
            s.content.changes += 1
            return old
        }
    }

    /// Removes an object; returns it if it was present.
    @discardableResult
    public func remove(_ key: ObjectKey) -> Object? {
        state.withLock { s in
            guard let old = s.items.removeValue(forKey: key)?.object else { return nil }
            unindex(old, key, &s)
            s.content.digest ^= Self.fingerprint(key, old.metadata.resourceVersion)
            s.content.changes += 1
            return old
        }
    }

    /// Replaces the whole content (after a list) and returns what changed, as informer events.
    public func replace(with objects: [Object]) -> [InformerEvent<Object>] {
        state.withLock { s in
            var fresh: [ObjectKey: Box] = [:]
            for o in objects { fresh[ObjectKey(o.metadata)] = Box(o) }
            var events: [InformerEvent<Object>] = []
            for (key, old) in s.items where fresh[key] == nil { events.append(.deleted(old.object)) }
            for (key, box) in fresh {
                let new = box.object
                if let kept = s.items[key] {
                    let old = kept.object
                    if old.metadata.resourceVersion != new.metadata.resourceVersion {
                        events.append(.updated(old: old, new: new))
                    } else {
                        // The same version: what was derived from it still holds.
                        box.derived = kept.derived
                    }
                } else {
                    events.append(.added(new))
                }
            }
            s.items = fresh
            s.indices = [:]
            var digest: UInt64 = 0
            for (key, o) in fresh {
                index(o.object, key, &s)
                digest ^= Self.fingerprint(key, o.object.metadata.resourceVersion)
            }
            s.content.digest = digest
            s.content.changes += 1
            s.content.lists += 1
            return events
        }
    }

    private func index(_ object: Object, _ key: ObjectKey, _ s: inout State) {
        for (name, f) in indexers {
            for value in f(object) { s.indices[name, default: [:]][value, default: []].insert(key) }
        }
    }

    private func unindex(_ object: Object, _ key: ObjectKey, _ s: inout State) {
        for (name, f) in indexers {
            for value in f(object) {
                s.indices[name]?[value]?.remove(key)
                if s.indices[name]?[value]?.isEmpty == true { s.indices[name]?[value] = nil }
            }
        }
    }
}

/// A change seen by an informer.
public enum InformerEvent<Object: KubeResource>: Sendable {
    case added(Object)
    case updated(old: Object, new: Object)
    case deleted(Object)

    /// The key of the object concerned.
    public var key: ObjectKey {
        switch self {
        case .added(let o), .deleted(let o), .updated(_, let o): return ObjectKey(o.metadata)
        }
    }

    /// The newest state of the object concerned.
    public var object: Object {
        switch self {
        case .added(let o), .deleted(let o), .updated(_, let o): return o
        }
    }
}
