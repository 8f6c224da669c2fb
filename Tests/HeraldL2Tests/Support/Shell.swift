import Foundation

/// Runs shell commands for the namespace tests.
enum Shell {
    struct Result {
        var status: Int32
        var output: String
    }

    /// Runs `/bin/sh -c command`, returning its exit status and combined output.
    @discardableResult
    static func run(_ command: String) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return Result(status: -1, output: "cannot run /bin/sh: \(error)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// Runs a command that must succeed; the error names the command and its output.
    static func must(_ command: String) throws {
        let result = run(command)
        guard result.status == 0 else { throw ShellError(command: command, result: result) }
    }
}

struct ShellError: Error, CustomStringConvertible {
    var command: String
    var result: Shell.Result
    var description: String { "`\(command)` exited \(result.status): \(result.output)" }
}
