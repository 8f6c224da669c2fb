#if canImport(Glibc)
    import Glibc
#endif

/// A thread of a plugin's own (plugins own their threads: the host calls them on its loop and must not wait for I/O).
public enum PluginThread {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Starts a joinable thread running `body`; `what` names it in the error if it cannot start.
    public static func start(_ what: String, _ body: @escaping () -> Void) throws -> pthread_t {
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(
            &handle, nil,
            { context in
                Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            }, box)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(box).release()
            throw PluginError(.io, "cannot start the \(what): \(String(cString: strerror(result)))")
        }
        return handle
    }
}
