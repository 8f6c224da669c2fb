// herald-plugin-harness: a generic test harness for Herald plugins, through the C ABI only (herald_plugin.h).
//
//   swift build --product herald-plugin-harness
//   herald-plugin-harness PLUGIN.so [CONFIG_JSON] [NODE_NAME]
//
// Network plugins act on the namespace they run in: run the harness under `ip netns exec NS` to keep them there.
//
// Loads the plugin with dlopen, creates one instance, configures it with CONFIG_JSON ("{}" by default) and starts
// it. Then reads one command per line on standard input:
//
//   announce ID ADDRESS/PREFIX [ATTRIBUTES_JSON]   announce an address (IPv4 or IPv6) under a stable id
//   withdraw ID                                    withdraw it
//   health                                         print the instance's health
//   metrics                                        print its metrics, then "end metrics"
//   prepare-stop final|restart                     say why the next stop happens (extension herald.lifecycle/1;
//                                                  "error -4" when the plugin will withdraw everything)
//   quit                                           stop and destroy the instance, then exit (also on end of input)
//
// Every command prints "ok COMMAND" or "error STATUS MESSAGE". Host callbacks print as they happen, from any thread:
//
//   ready PLUGIN_ID exclusive|routed
//   log LEVEL MESSAGE
//   event Normal|Warning REASON ANNOUNCEMENT_ID|- MESSAGE
//   health STATE DETAIL          (STATE: ok, degraded, unhealthy; pushed or in answer to "health")
//   metric counter|gauge NAME{LABEL="VALUE",...} VALUE
//
// The node's labels and addresses come from the environment: HERALD_HARNESS_NODE_LABELS="k=v,k2=v2" and
// HERALD_HARNESS_NODE_ADDRESSES="198.51.100.11,2001:db8::11" (both empty by default).
//
// A usage, load, configure or start failure prints "fatal MESSAGE" and exits with status 2; otherwise the exit
// status is 0 after "quit" or the end of input. Each line is written with one write(2).

import CHeraldPlugin
import HeraldTestSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Serialises output lines: host callbacks arrive from plugin threads.
let outputLock = Mutex(())

func say(_ line: String) {
    outputLock.withLock { _ in TestSupport.writeAll(line + "\n") }
}

func fail(_ message: String) -> Never {
    say("fatal \(message)")
    exit(2)
}

func healthName(_ state: Int32) -> String {
    switch state {
    case HERALD_HEALTH_OK: "ok"
    case HERALD_HEALTH_DEGRADED: "degraded"
    default: "unhealthy"
    }
}

/// The NUL-terminated text in a caller-owned buffer.
func text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func text(_ pointer: UnsafePointer<CChar>?) -> String { pointer.map { String(cString: $0) } ?? "-" }

let levels = ["trace", "debug", "info", "notice", "warning", "error"]

/// The host table handed to the plugin: every callback prints one line.
func makeHostAPI() -> UnsafeMutablePointer<herald_host_api> {
    let api = UnsafeMutablePointer<herald_host_api>.allocate(capacity: 1)
    api.initialize(
        to: herald_host_api(
            struct_size: UInt32(MemoryLayout<herald_host_api>.size),
            abi_major: UInt16(HERALD_ABI_MAJOR),
            abi_minor: UInt16(HERALD_ABI_MINOR),
            context: nil,
            log: { _, level, message in
                let name = level >= 0 && Int(level) < levels.count ? levels[Int(level)] : "level\(level)"
                say("log \(name) \(text(message))")
            },
            emit_event: { _, type, reason, message, id in
                say(
                    "event \(type == HERALD_EVENT_WARNING ? "Warning" : "Normal") \(text(reason)) \(text(id)) \(text(message))"
                )
            },
            report_health: { _, state, detail in
                say("health \(healthName(state)) \(text(detail))")
            },
            get_extension: { _, _ in nil }
        ))
    return api
}

/// Parses "ADDRESS/PREFIX" into family, bytes and prefix length.
func parseAddress(_ text: String) -> (family: UInt8, bytes: [UInt8], prefix: UInt8, address: String)? {
    let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
    var bytes = [UInt8](repeating: 0, count: 16)
    let isV6 = parts[0].contains(":")
    guard inet_pton(isV6 ? AF_INET6 : AF_INET, parts[0], &bytes) == 1 else { return nil }
    let width = isV6 ? 128 : 32
    let prefix = parts.count == 2 ? Int(parts[1]) : width
    guard let prefix, (0...width).contains(prefix) else { return nil }
    return (UInt8(isV6 ? HERALD_FAMILY_IPV6 : HERALD_FAMILY_IPV4), bytes, UInt8(prefix), parts[0])
}

/// Runs one call that fills an error buffer, printing "ok" or "error".
func call(_ name: String, _ body: (UnsafeMutablePointer<CChar>, Int) -> herald_status) {
    var buffer = [CChar](repeating: 0, count: 512)
    let status = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
    if status == HERALD_OK {
        say("ok \(name)")
    } else {
        say("error \(status) \(text(buffer))")
    }
}

func announce(_ plugin: herald_plugin_vtable, _ instance: UnsafeMutableRawPointer?, _ words: [String]) {
    guard words.count >= 3, let parsed = parseAddress(words[2]) else {
        say("error \(HERALD_ERR_INVALID_ARGUMENT) usage: announce ID ADDRESS/PREFIX [ATTRIBUTES_JSON]")
        return
    }
    let attributes = words.count > 3 ? words[3...].joined(separator: " ") : "{}"
    var a = herald_announcement()
    a.struct_size = UInt32(MemoryLayout<herald_announcement>.size)
    a.family = parsed.family
    a.prefix_length = parsed.prefix
    withUnsafeMutableBytes(of: &a.address) { raw in
        for (index, byte) in parsed.bytes.enumerated() { raw[index] = byte }
    }
    words[1].withCString { id in
        parsed.address.withCString { address in
            attributes.withCString { json in
                "harness".withCString { advertisement in
                    a.id = id
                    a.address_text = address
                    a.attributes_json = json
                    a.advertisement = advertisement
                    call("announce") { plugin.announce(instance, &a, $0, $1) }
                }
            }
        }
    }
}

func printMetrics(_ plugin: herald_plugin_vtable, _ instance: UnsafeMutableRawPointer?) {
    if let collect = plugin.collect_metrics {
        var sink = herald_metrics_sink(
            struct_size: UInt32(MemoryLayout<herald_metrics_sink>.size),
            context: nil,
            emit: { _, kind, name, _, labels, count, value in
                var pairs: [String] = []
                for index in 0..<count {
                    pairs.append("\(text(labels![index].key))=\"\(text(labels![index].value))\"")
                }
                let kindName = kind == HERALD_METRIC_GAUGE ? "gauge" : "counter"
                let shown = value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
                say("metric \(kindName) \(text(name)){\(pairs.joined(separator: ","))} \(shown)")
            })
        collect(instance, &sink)
    }
    say("end metrics")
}

// MARK: Main

let usage = """
    usage: herald-plugin-harness PLUGIN.so [CONFIG_JSON] [NODE_NAME]

    Loads PLUGIN.so (a path: ./libmine.so, not a bare name), creates, configures (CONFIG_JSON, default {}) and starts \
    one instance, then reads commands on standard input: announce ID ADDRESS/PREFIX [ATTRIBUTES_JSON], withdraw ID, \
    health, metrics, quit. Host callbacks print as they happen.
    """
let arguments = CommandLine.arguments
if arguments.count >= 2, ["-h", "--help", "help"].contains(arguments[1]) {
    TestSupport.writeAll(usage + "\n")
    exit(0)
}
guard arguments.count >= 2 else { fail(usage.split(separator: "\n").joined(separator: " ")) }
guard !arguments[1].hasPrefix("-") else { fail("unknown option \(arguments[1]); see --help") }
let config = arguments.count > 2 ? arguments[2] : "{}"
let nodeName = arguments.count > 3 ? arguments[3] : "harness-node"

guard let library = dlopen(arguments[1], RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
    fail("dlopen: \(String(cString: dlerror()))")
}
guard let symbol = dlsym(library, HERALD_PLUGIN_ENTRY_SYMBOL) else { fail("no \(HERALD_PLUGIN_ENTRY_SYMBOL)") }
let entry = unsafeBitCast(symbol, to: herald_plugin_entry_fn.self)
guard let descriptor = entry(UInt32(HERALD_ABI_MAJOR), UInt32(HERALD_ABI_MINOR)),
    descriptor.pointee.struct_size >= MemoryLayout<herald_plugin_descriptor>.offset(of: \.vtable)! + 8,
    descriptor.pointee.abi_major == HERALD_ABI_MAJOR,
    let vtablePointer = descriptor.pointee.vtable,
    vtablePointer.pointee.struct_size >= MemoryLayout<herald_plugin_vtable>.offset(of: \.destroy)! + 8
else { fail("the plugin refused ABI \(HERALD_ABI_MAJOR).\(HERALD_ABI_MINOR) or returned a short descriptor") }
let plugin = vtablePointer.pointee

let host = makeHostAPI()
var instance: UnsafeMutableRawPointer?
var errorText = [CChar](repeating: 0, count: 512)
var status = plugin.create(descriptor.pointee.factory_context, host, &instance, &errorText, errorText.count)
guard status == HERALD_OK else { fail("create: \(status) \(text(errorText))") }
/// A comma-separated environment variable, empty when unset.
func environmentList(_ name: String) -> [String] {
    guard let value = getenv(name) else { return [] }
    return String(cString: value).split(separator: ",").map(String.init)
}

let labelPairs = environmentList("HERALD_HARNESS_NODE_LABELS").map { pair -> (String, String) in
    let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
    return (parts[0], parts.count > 1 ? parts[1] : "")
}
let nodeAddresses = environmentList("HERALD_HARNESS_NODE_ADDRESSES")
// Strings kept alive for the configure call (the ABI borrows them for its duration only).
let cLabelKeys = labelPairs.map { strdup($0.0)! }
let cLabelValues = labelPairs.map { strdup($0.1)! }
var cLabels = (0..<labelPairs.count).map { herald_kv(key: cLabelKeys[$0], value: cLabelValues[$0]) }
var cAddresses: [UnsafePointer<CChar>?] = nodeAddresses.map { UnsafePointer(strdup($0)!) }
status = nodeName.withCString { name in
    cLabels.withUnsafeBufferPointer { labels in
        cAddresses.withUnsafeBufferPointer { addresses in
            var node = herald_node_info(
                struct_size: UInt32(MemoryLayout<herald_node_info>.size), name: name, labels: labels.baseAddress,
                label_count: labels.count, addresses: addresses.baseAddress, address_count: addresses.count)
            return plugin.configure(instance, config, &node, &errorText, errorText.count)
        }
    }
}
guard status == HERALD_OK else { fail("configure: \(status) \(text(errorText))") }
status = plugin.start(instance, &errorText, errorText.count)
guard status == HERALD_OK else { fail("start: \(status) \(text(errorText))") }
let kind = descriptor.pointee.flags & HERALD_PLUGIN_EXCLUSIVE != 0 ? "exclusive" : "routed"
say("ready \(text(descriptor.pointee.id)) \(kind)")

while let line = readLine() {
    let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    guard let command = words.first else { continue }
    switch command {
    case "announce":
        announce(plugin, instance, words)
    case "withdraw":
        guard words.count == 2 else {
            say("error \(HERALD_ERR_INVALID_ARGUMENT) usage: withdraw ID")
            continue
        }
        call("withdraw") { plugin.withdraw(instance, words[1], $0, $1) }
    case "health":
        var detail = [CChar](repeating: 0, count: 512)
        let state = plugin.health.map { $0(instance, &detail, detail.count) } ?? HERALD_HEALTH_OK
        say("health \(healthName(state)) \(detail[0] == 0 ? "-" : text(detail))")
    case "metrics":
        printMetrics(plugin, instance)
    case "prepare-stop":
        guard words.count == 2, let reason = ["final": HERALD_STOP_FINAL, "restart": HERALD_STOP_RESTART][words[1]]
        else {
            say("error \(HERALD_ERR_INVALID_ARGUMENT) usage: prepare-stop final|restart")
            continue
        }
        guard let get = plugin.get_extension,
            let pointer = HERALD_EXT_LIFECYCLE.withCString({ get(instance, $0) })
        else {
            say("error \(HERALD_ERR_UNSUPPORTED) the plugin offers no \(HERALD_EXT_LIFECYCLE)")
            continue
        }
        let lifecycle = pointer.assumingMemoryBound(to: herald_lifecycle_ext.self).pointee
        call("prepare-stop") { lifecycle.prepare_stop(instance, Int32(reason), $0, $1) }
    case "quit":
        break
    default:
        say("error \(HERALD_ERR_INVALID_ARGUMENT) unknown command \(command)")
        continue
    }
    if command == "quit" { break }
}
plugin.stop(instance)
plugin.destroy(instance)
say("ok quit")
exit(0)
