import Foundation
import Synchronization

/// A child process whose output (stdout and stderr) is read line by line as it comes, each line stamped with the
/// CLOCK_MONOTONIC time it arrived, and whose stdin takes line commands. For harness executables driven by the tests
/// and for monitors such as `ip monitor`.
open class LineProcess: @unchecked Sendable {
    // @unchecked: the buffers are Mutexes; the other properties are immutable after init.
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

    /// Starts `executable` with `arguments`.
    public init(executable: String, arguments: [String], environment: [String: String]? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
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
                    state.times.append(LineProcess.monotonicNanoseconds())
                    state.partial = String(state.partial[state.partial.index(after: newline)...])
                }
            }
        }
        try process.run()
    }

    /// CLOCK_MONOTONIC now, in nanoseconds (the same clock in every process of the machine).
    public static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// The arrival time of the first line (from `index` on) that contains every fragment; nil on timeout.
    public func waitForLine(containing fragments: [String], from index: Int = 0, timeout: Double) -> UInt64? {
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

    public var lineCount: Int { buffer.state.withLock { $0.lines.count } }
    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    public var transcript: String { buffer.state.withLock { $0.lines.joined(separator: "\n") } }
    public var lines: [String] { buffer.state.withLock { $0.lines } }

    /// Writes one line to the process's stdin.
    public func send(_ command: String) {
        input.fileHandleForWriting.write(Data((command + "\n").utf8))
    }

    /// Waits for the next line (after those already consumed) starting with `prefix`, or with "error" when
    /// `orError`; nil on timeout or when the process ended first.
    public func expect(_ prefix: String, orError: Bool = false, timeout: Double) -> String? {
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

    /// CPU time (user + system) the process has used, in seconds, from /proc/PID/stat.
    public func cpuSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return -1 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, utime 14 and stime 15 (proc(5)).
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return -1 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Sends `quit` (if given) and waits up to 5 s for the process to end, then kills it.
    public func stop(quit: String? = "quit") {
        guard process.isRunning else { return }
        if let quit { send(quit) }
        var deadline = Date().addingTimeInterval(quit == nil ? 0 : 5)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        // SIGKILL: `ip monitor` does not always end on SIGTERM.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        output.fileHandleForReading.readabilityHandler = nil
    }

    /// Sends `signal` to the process.
    public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Sends SIGKILL now (no clean-up in the process) and waits for it to end.
    public func kill9() {
        kill(process.processIdentifier, SIGKILL)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { usleep(5_000) }
    }
}

/// The line protocol of `herald-plugin-harness` (Tests/PluginHarness), for any process that speaks it.
extension LineProcess {
    /// A harness command that answered "error" or nothing in time, with the whole transcript.
    public struct HarnessFailure: Error, CustomStringConvertible {
        public var command: String
        public var transcript: String
        public var description: String { "`\(command)` failed:\n\(transcript)" }
    }

    /// Sends a command and waits for its "ok"; throws with the transcript on "error" or timeout.
    public func command(_ command: String, timeout: Double = 5) throws {
        send(command)
        let name = command.split(separator: " ").first.map(String.init) ?? command
        guard let line = expect("ok \(name)", orError: true, timeout: timeout), line.hasPrefix("ok") else {
            throw HarnessFailure(command: command, transcript: transcript)
        }
    }

    /// The instance's metrics as `name{labels}` → value.
    public func metrics() throws -> [String: Double] {
        let start = lineCount
        send("metrics")
        guard expect("end metrics", timeout: 5) != nil else {
            throw HarnessFailure(command: "metrics", transcript: transcript)
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
}
