import Foundation
import HeraldTestSupport

/// Runs shell commands for the namespace tests.
enum Shell {
    struct Result {
        var status: Int32
        var output: String
    }

    /// Runs `/bin/sh -c command`, returning its exit status and combined output (through a file, so that a background
    /// process the command leaves behind cannot keep the caller waiting).
    @discardableResult
    static func run(_ command: String, timeout: Double = 120) -> Result {
        do {
            let out = try TestSupport.run(["/bin/sh", "-c", command], timeout: timeout, combineOutput: true)
            return Result(status: out.status, output: out.stdout)
        } catch {
            return Result(status: -1, output: "cannot run /bin/sh: \(error)")
        }
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
