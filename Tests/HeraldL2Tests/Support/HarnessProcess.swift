import Foundation
import Synchronization

/// A child process whose output is read line by line as it comes, each line stamped with the monotonic time it
/// arrived. Used for `herald-plugin-harness` (driven by line commands) and for `ip monitor`.
final class HarnessProcess: @unchecked Sendable {
    // @unchecked: `lines` is a Mutex; the other properties are immutable after init.
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    /// Complete output lines, and the text after the last newline.
    struct Buffer {
        var lines: [String] = []
        /// CLOCK_MONOTONIC nanoseconds at which each line was read.
        var times: [UInt64] = []
        var partial = ""
    }
    /// Shared with the pipe's reader callback.
    final class Shared: Sendable {
        let state = Mutex(Buffer())
    }
    private let buffer = Shared()
    private let cursor = Mutex(0)

    /// Starts the harness with a plugin and its configuration in `namespace`, and waits for "ready".
    convenience init(namespace: String, plugin: String, config: String = "{}") throws {
        try self.init(arguments: ["netns", "exec", namespace, try Products.harness(), plugin, config, namespace])
        guard try expect("ready", timeout: 10) != nil else {
            throw ShellError(command: "harness", result: Shell.Result(status: 1, output: transcript))
        }
    }

    /// Starts `ip` with these arguments.
    init(arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        if !FileManager.default.fileExists(atPath: "/usr/sbin/ip") {
            process.executableURL = URL(fileURLWithPath: "/sbin/ip")
        }
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        let buffer = self.buffer
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else { return }
            let text = String(decoding: data, as: UTF8.self)
            buffer.state.withLock { state in
                state.partial += text
                while let newline = state.partial.firstIndex(of: "\n") {
                    state.lines.append(String(state.partial[..<newline]))
                    state.times.append(HarnessProcess.monotonicNanoseconds())
                    state.partial = String(state.partial[state.partial.index(after: newline)...])
                }
            }
        }
        try process.run()
    }

    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// The arrival time of the first line (from `index` on) that contains every fragment; nil on timeout.
    func waitForLine(containing fragments: [String], from index: Int = 0, timeout: Double) -> UInt64? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let hit = buffer.state.withLock { state -> UInt64? in
                guard index < state.lines.count else { return nil }
                for i in index..<state.lines.count where fragments.allSatisfy(state.lines[i].contains) {
                    return state.times[i]
                }
                return nil
            }
            if let hit { return hit }
            usleep(1_000)
        }
        return nil
    }

    var lineCount: Int { buffer.state.withLock { $0.lines.count } }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var transcript: String { buffer.state.withLock { $0.lines.joined(separator: "\n") } }
    private var lines: [String] { buffer.state.withLock { $0.lines } }

    func send(_ command: String) {
        input.fileHandleForWriting.write(Data((command + "\n").utf8))
    }

    /// Sends a command and waits for its "ok"; throws with the transcript on "error" or timeout.
    func command(_ command: String, timeout: Double = 5) throws {
        send(command)
        let name = command.split(separator: " ").first.map(String.init) ?? command
        guard let line = try expect("ok \(name)", orError: true, timeout: timeout), line.hasPrefix("ok") else {
            throw ShellError(command: command, result: Shell.Result(status: 1, output: transcript))
        }
    }

    /// Waits for the next line (after those already consumed) starting with `prefix`; nil on timeout.
    func expect(_ prefix: String, orError: Bool = false, timeout: Double) throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let list = lines
            let found = cursor.withLock { start -> String? in
                guard start < list.count else { return nil }
                for index in start..<list.count
                where list[index].hasPrefix(prefix) || (orError && list[index].hasPrefix("error")) {
                    start = index + 1
                    return list[index]
                }
                return nil
            }
            if let found { return found }
            if !process.isRunning { return nil }
            usleep(2_000)
        }
        return nil
    }

    /// The instance's metrics as `name{labels}` → value.
    func metrics() throws -> [String: Double] {
        let start = lines.count
        send("metrics")
        guard try expect("end metrics", timeout: 5) != nil else {
            throw ShellError(command: "metrics", result: Shell.Result(status: 1, output: transcript))
        }
        var out: [String: Double] = [:]
        for line in lines[start...] {
            if line == "end metrics" { break }
            let words = line.split(separator: " ")
            guard words.count == 4, words[0] == "metric" else { continue }
            out[String(words[2])] = Double(words[3])
        }
        return out
    }

    /// CPU time (user + system) the process has used, in seconds, from /proc/PID/stat.
    func cpuSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return -1 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, utime 14 and stime 15 (proc(5)).
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return -1 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Sends "quit" and waits for the process to end (kills it after a timeout).
    func stop(quit: Bool = true) {
        guard process.isRunning else { return }
        if quit { send("quit") }
        var deadline = Date().addingTimeInterval(quit ? 5 : 0)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        // SIGKILL: `ip monitor` does not always end on SIGTERM.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        output.fileHandleForReading.readabilityHandler = nil
    }
}
