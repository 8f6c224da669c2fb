import Synchronization

/// Waiting for work that cannot be interrupted (parsing a file) without being held up by it.
enum Abandonable {
    /// `task`'s value, or nil at once when the waiting task is cancelled; the task then goes on alone.
    static func value<T: Sendable>(of task: Task<T, Never>) async -> T? {
        let slot = Slot<T>()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
                slot.set(continuation)
                if Task.isCancelled { slot.resume(nil) }
                Task { slot.resume(await task.value) }
            }
        } onCancel: {
            slot.resume(nil)
        }
    }

    /// A continuation resumed once, by whichever comes first.
    final class Slot<T: Sendable>: Sendable {
        let continuation = Mutex<CheckedContinuation<T?, Never>?>(nil)
        let early = Mutex<T??>(nil)

        func set(_ c: CheckedContinuation<T?, Never>) {
            let value = continuation.withLock { slot -> T?? in
                slot = c
                return early.withLock { $0 }
            }
            if let value { resume(value) }
        }

        func resume(_ value: T?) {
            let c = continuation.withLock { $0.take() }
            if let c { c.resume(returning: value) } else { early.withLock { $0 = .some(value) } }
        }
    }
}
