import ArgumentParser
import HeraldPluginHost

#if canImport(Glibc)
    import Glibc
#endif

/// `herald plugin-runner`: the child the host starts for a plugins.d instance with `isolation: process`. Not for
/// operators: it speaks the runner protocol on an inherited socket.
struct PluginRunnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin-runner",
        abstract: "Load one plugin in a child process for the host (started by herald itself).",
        shouldDisplay: false)

    @Option(name: .long, help: "The protocol socket's descriptor.")
    var fd: Int32 = 3

    @Option(name: .long, help: "The host's process id (the runner ends when it is gone).")
    var parent: Int32 = 0

    @Option(name: .long, help: "The plugin instance's name (shown by ps).")
    var instance: String = ""

    @Option(name: .long, help: "The capabilities to keep, a hexadecimal mask (dropped before main starts).")
    var capabilities: String?

    func run() throws {
        Glibc.exit(PluginRunner.serve(fd: fd, parent: parent))
    }
}
