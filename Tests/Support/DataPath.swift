import Foundation

/// The data path of the layer-2 lab: what stands in for kube-proxy and the pods, and a client.
///
/// Each node accepts traffic for every pool address as kube-proxy's IPVS mode does: kube-proxy binds the Service
/// addresses to a dummy interface (`kube-ipvs0`), which this kernel lacks, so a `local` route for the pools on `lo`
/// (AnyIP) serves instead, with `arp_ignore=1` and `arp_announce=2` so that the kernel itself never answers ARP for
/// them (the addresses are on no interface, so it does not answer NDP either): only Herald's plugins make an address
/// reachable. A small HTTP backend on each node (ports 80 and 8080, IPv4 and IPv6) answers `NODE PORT`: it stands in
/// for the Service's pods. The client runs in the router namespace.
public enum DataPath {
    public static let backend = #"""
        import http.server, signal, socket, sys, threading
        # The test process blocks SIGTERM in its threads, and a spawned child inherits that mask: unblocked here, so
        # that Process.terminate() ends the backend instead of leaving it running after the test.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
        node = sys.argv[1]
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = ("%s %d\n" % (node, self.server.server_address[1])).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        class Server(http.server.ThreadingHTTPServer):
            address_family = socket.AF_INET6
            daemon_threads = True
            def server_bind(self):
                self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
                super().server_bind()
        servers = [Server(("::", port), Handler) for port in (80, 8080)]
        for server in servers[1:]:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        print("serving", flush=True)
        servers[0].serve_forever()
        """#

    /// The client: reads commands on stdin, one at a time.
    /// - `first ADDRESS PORT SINCE_NS`: connects every 10 ms until a request succeeds; prints `first ADDRESS NODE MS`
    ///   (milliseconds since SINCE_NS, CLOCK_MONOTONIC) or `first ADDRESS none` after 30 s.
    /// - `probe ADDRESS PORT INTERVAL_MS COUNT`: one new connection and request every INTERVAL_MS; prints
    ///   `ok NS NODE` or `fail NS WHY` for each (NS: CLOCK_MONOTONIC when the attempt started; WHY: the stage and the
    ///   error, e.g. `connect-TimeoutError`, `request-ConnectionResetError`), then `done`.
    public static let client = #"""
        import socket, sys, time
        why = ""
        def request(address, port, timeout):
            global why
            why = "bad-answer"
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            s = socket.socket(family, socket.SOCK_STREAM)
            s.settimeout(timeout)
            stage = "connect"
            try:
                s.connect((address, port))
                stage = "request"
                s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                lines = data.split(b"\r\n\r\n", 1)
                if len(lines) == 2 and data.startswith(b"HTTP/1.0 200"):
                    return lines[1].decode().split()[0]
                return None
            except OSError as error:
                why = "%s-%s" % (stage, type(error).__name__)
                return None
            finally:
                s.close()
        print("ready", flush=True)
        for line in sys.stdin:
            words = line.split()
            if words and words[0] == "first":
                address, port, since = words[1], int(words[2]), int(words[3])
                end = time.monotonic() + 30
                node = None
                while time.monotonic() < end:
                    node = request(address, port, 0.2)
                    if node:
                        break
                    time.sleep(0.01)
                if node:
                    print("first", address, node, (time.monotonic_ns() - since) // 1000000, flush=True)
                else:
                    print("first", address, "none", flush=True)
            elif words and words[0] == "probe":
                address, port, interval, count = words[1], int(words[2]), int(words[3]) / 1000, int(words[4])
                start = time.monotonic()
                for i in range(count):
                    began = time.monotonic_ns()
                    node = request(address, port, 0.2)
                    print("ok %d %s" % (began, node) if node else "fail %d %s" % (began, why), flush=True)
                    pause = start + (i + 1) * interval - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                print("done", flush=True)
        """#

    static let backendPath = TestSupport.script("datapath-backend", backend)
    static let clientPath = TestSupport.script("datapath-client", client)

    /// Makes every address of `v4` and `v6` local on node namespace `namespace` (AnyIP on `lo`), keeps the kernel from
    /// answering ARP for them, and starts the backend there as `node` (its output discarded, no descriptor of the
    /// test process inherited beyond /dev/null).
    public static func prepare(namespace: String, node: String, v4: String, v6: String) throws -> Process {
        let setup = try TestSupport.run(
            [
                "/bin/sh", "-c",
                "ip netns exec \(namespace) sysctl -q -w net.ipv4.conf.all.arp_ignore=1 "
                    + "net.ipv4.conf.all.arp_announce=2 && ip -n \(namespace) route add local \(v4) dev lo table local "
                    + "&& ip -n \(namespace) -6 route add local \(v6) dev lo table local",
            ], timeout: 30, combineOutput: true)
        guard setup.status == 0 else { throw Failure(message: "data path setup in \(namespace): \(setup.stdout)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace, "/usr/bin/python3", backendPath, node]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The client in `router`.
    public final class Client: Sendable {
        public let process: LineProcess

        public init(router: String) throws {
            process = try LineProcess(
                executable: "/usr/sbin/ip",
                arguments: ["netns", "exec", router, "/usr/bin/python3", DataPath.clientPath])
            guard process.expect("ready", timeout: 10) != nil else {
                throw Failure(message: "the client did not start: \(process.transcript)")
            }
        }

        /// The node that first answers `address`:`port`, and the milliseconds since `since` (CLOCK_MONOTONIC ns).
        public func first(_ address: String, port: Int = 80, since: UInt64) -> (node: String, milliseconds: Double)? {
            process.send("first \(address) \(port) \(since)")
            guard let line = process.expect("first \(address) ", timeout: 40) else { return nil }
            let words = line.split(separator: " ")
            guard words.count == 4, let ms = Double(words[3]) else { return nil }
            return (String(words[2]), ms)
        }

        /// One attempt every `interval` ms, `count` times: when each began (CLOCK_MONOTONIC ns) and the node that
        /// answered (nil: failed).
        public func probe(
            _ address: String, port: Int = 80, interval: Int, count: Int
        ) -> [(time: UInt64, node: String?)] {
            collect(
                from: startProbe(address, port: port, interval: interval, count: count),
                timeout: Double(interval * count) / 1000 + 30)
        }

        /// Starts a probe without waiting for it; ``collect`` gathers it.
        public func startProbe(_ address: String, port: Int = 80, interval: Int, count: Int) -> Int {
            let from = process.lineCount
            process.send("probe \(address) \(port) \(interval) \(count)")
            return from
        }

        public func collect(from: Int, timeout: Double) -> [(time: UInt64, node: String?)] {
            collectWithReasons(from: from, timeout: timeout).map { ($0.time, $0.node) }
        }

        /// ``collect``, with why each failed attempt failed (nil for those that succeeded).
        public func collectWithReasons(
            from: Int, timeout: Double
        ) -> [(time: UInt64, node: String?, failure: String?)] {
            _ = process.expect("done", timeout: timeout)
            return process.lines.dropFirst(from).compactMap { line in
                let words = line.split(separator: " ")
                guard words.count >= 2, words[0] == "ok" || words[0] == "fail", let time = UInt64(words[1]) else {
                    return nil
                }
                if words[0] == "ok" && words.count == 3 { return (time, String(words[2]), nil) }
                return (time, nil, words.count >= 3 ? String(words[2]) : "unknown")
            }
        }

        public func stop() { process.stop(quit: nil) }
    }
}
