import Foundation
import HeraldTestSupport

/// Samples, from the router, who answers ARP for a set of addresses: every `interval` it broadcasts one request per
/// address and collects the replies until the next round. Two MACs answering one round for one address is an instant
/// with two owners (the nodes answer within a millisecond, far inside a round). Prints `double ADDRESS MAC MAC` for
/// each, `owner ADDRESS MAC` when the answering MAC changes, and `rounds N doubles D` when it ends (after `duration`
/// seconds, or at `stop` on its stdin).
final class ARPSampler: Sendable {
    static let script = #"""
        import socket, struct, sys, threading, time
        iface, source, interval, duration = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
        targets = {socket.inet_aton(a): a for a in sys.argv[5:]}
        stop = []
        def commands():
            for line in sys.stdin:
                if line.strip() == "stop":
                    break
            stop.append(1)
        threading.Thread(target=commands, daemon=True).start()
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
        s.bind((iface, 0))
        mac = s.getsockname()[4]
        spa = socket.inet_aton(source)
        def request(tpa):
            return b"\xff" * 6 + mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + spa + b"\0" * 6 + tpa
        rounds = doubles = 0
        owners = {}
        print("listening", flush=True)
        end = time.monotonic() + duration
        while not stop and time.monotonic() < end:
            answers = {}
            for tpa in targets:
                s.send(request(tpa))
            deadline = time.monotonic() + interval
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                s.settimeout(left)
                try:
                    frame = s.recv(128)
                except (socket.timeout, InterruptedError):
                    continue
                if len(frame) < 42 or frame[12:14] != b"\x08\x06" or struct.unpack("!H", frame[20:22])[0] != 2:
                    continue
                sha, sender, tpa = frame[22:28], frame[28:32], frame[38:42]
                if sender in targets and tpa == spa:
                    answers.setdefault(targets[sender], set()).add(sha.hex(":"))
            rounds += 1
            for address, macs in answers.items():
                if len(macs) > 1:
                    doubles += 1
                    print("double", address, *sorted(macs), flush=True)
                elif owners.get(address) != next(iter(macs)):
                    owners[address] = next(iter(macs))
                    print("owner", address, owners[address], flush=True)
        print("rounds", rounds, "doubles", doubles, flush=True)
        """#

    static let path = TestSupport.script("arp-sampler", script)

    let process: LineProcess

    /// Starts sampling `addresses` from `namespace`'s `interface` (source address `source`) every `interval` seconds.
    init(
        namespace: String, interface: String = "br0", source: String = "198.51.100.1", addresses: [String],
        interval: Double = 0.1, duration: Double = 600
    ) throws {
        process = try LineProcess(
            executable: "/usr/sbin/ip",
            arguments: [
                "netns", "exec", namespace, "/usr/bin/python3", Self.path, interface, source, "\(interval)",
                "\(duration)",
            ] + addresses)
        guard process.expect("listening", timeout: 10) != nil else {
            throw SamplerError(message: "the ARP sampler did not start: \(process.transcript)")
        }
    }

    struct SamplerError: Error, CustomStringConvertible { var message: String; var description: String { message } }

    /// Ends sampling; returns the rounds sampled and every `double` line.
    func finish() -> (rounds: Int, doubles: [String]) {
        // (A line on stdin, not a signal: a child of the test process may inherit a mask that blocks SIGTERM.)
        process.send("stop")
        // Not `expect`: the summary is the last line before the process exits, and `expect` gives up once the process
        // has ended, possibly before its last output was read.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && !process.lines.contains(where: { $0.hasPrefix("rounds ") }) { usleep(10_000) }
        process.stop(quit: nil)
        let lines = process.lines
        let summary = lines.last { $0.hasPrefix("rounds ") }?.split(separator: " ") ?? []
        return (summary.count > 1 ? Int(summary[1]) ?? 0 : 0, lines.filter { $0.hasPrefix("double ") })
    }
}
