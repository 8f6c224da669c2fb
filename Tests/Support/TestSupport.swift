import Foundation

/// Helpers shared by the test suites: where the package and its built products are, temporary folders, running
/// commands, and compiling C fixture plugins.
public enum TestSupport {
    /// The nearest-rank percentile (`p` in 0...1) the lab tests print; infinity for no values.
    public static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return .infinity }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
    }

    /// The package root (this file is Tests/Support/TestSupport.swift).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The folder holding the built products (the test binary lives there).
    public static let productsDirectory: URL = {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // The test bundle may be a folder (…/heraldPackageTests.xctest/…) on some layouts.
        while dir.path != "/" && dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir
    }()

    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    /// A built product (`herald`, `libherald-log.so`…). Fails loudly when it is not built: the test command runs
    /// `swift build` before `swift test`.
    public static func product(_ name: String) throws -> String {
        let path = productsDirectory.appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw Missing(
                description: "\(path) is not built: run `swift build` before `swift test` (scripts/test does)")
        }
        return path
    }

    /// Writes a helper script a test runs (kept as text in the test target, so the tests need no files outside it)
    /// to the temp folder as `herald-NAME-PID.py`, and returns its path.
    public static func script(_ name: String, _ text: String) -> String {
        let path = NSTemporaryDirectory() + "herald-\(name)-\(getpid()).py"
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A new empty folder under the system temp folder, mode 0755.
    public static func temporaryDirectory(_ label: String = "herald-test") throws -> String {
        var template = Array("\(NSTemporaryDirectory())/\(label).XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw Missing(description: "mkdtemp failed") }
        chmod(made, 0o755)
        guard let resolved = realpath(made, nil) else { return String(cString: made) }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs a program to completion (killing it after `timeout` seconds) and captures its output.
    ///
    /// Output goes to temporary files, not pipes, and only the program's own exit is awaited: a daemon it leaves
    /// running (etcd, kube-apiserver, a background job of a shell) can never keep the caller waiting for an end of
    /// file. The child gets only descriptors 0–2 (Foundation's `Process` closes the rest). With `combineOutput`, stderr
    /// goes to the same file as stdout, in order, and `stderr` is empty.
    @discardableResult
    public static func run(
        _ argv: [String], environment: [String: String]? = nil, directory: String? = nil, timeout: Double = 120,
        combineOutput: Bool = false
    ) throws -> Output {
        let scratch = try temporaryDirectory("herald-run")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let outPath = scratch + "/stdout"
        let errPath = scratch + "/stderr"
        for path in [outPath, errPath] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
            throw Missing(description: "cannot open output files in \(scratch)")
        }
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = out
        process.standardError = combineOutput ? out : err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            process.terminate()
            usleep(200_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return Output(status: process.terminationStatus, stdout: read(outPath), stderr: read(errPath))
    }

    /// ``run(_:environment:directory:timeout:combineOutput:)`` on a Dispatch thread, so that waiting for the program
    /// never blocks a thread of Swift's cooperative pool.
    public static func runDetached(
        _ argv: [String], timeout: Double = 300, combineOutput: Bool = true
    ) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try run(argv, timeout: timeout, combineOutput: combineOutput) })
            }
        }
    }

    /// Writes all of `text` to descriptor `fd` with write(2), unbuffered (harness output read line by line).
    public static func writeAll(_ text: String, to fd: Int32 = 1) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// The C compiler for fixtures: `cc`, failing loudly if there is none.
    public static func cc() throws -> String {
        for candidate in ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw Missing(description: "no C compiler (cc, gcc or clang) found: install gcc")
    }

    /// Compiles a C source from Tests/Fixtures (or an absolute path) into a shared object against the ABI header.
    public static func compilePlugin(
        source: String, output: String, defines: [String] = [], extraArguments: [String] = []
    ) throws {
        let header = packageRoot.appendingPathComponent("Sources/PluginAPI/CHeraldPlugin/include").path
        let src = source.hasPrefix("/") ? source : packageRoot.appendingPathComponent("Tests/Fixtures/\(source)").path
        let result = try run(
            [try cc(), "-std=c11", "-O1", "-shared", "-fPIC", "-fvisibility=hidden", "-Wall", "-Werror", "-I", header]
                + defines.map { "-D\($0)" } + [src, "-o", output, "-lpthread"] + extraArguments)
        guard result.status == 0 else {
            throw Missing(description: "compiling \(src) failed:\n\(result.stderr)")
        }
        chmod(output, 0o755)
    }
}

/// A value guarded by a lock, for collecting results from other threads in tests.
public final class Locked<Value>: @unchecked Sendable {
    // Guarded by `lock`.
    private var value: Value
    private let lock = NSLock()

    public init(_ value: Value) { self.value = value }
    public func get() -> Value { lock.withLock { value } }
    public func set(_ new: Value) { lock.withLock { value = new } }
    public func mutate<R>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&value) } }
}
