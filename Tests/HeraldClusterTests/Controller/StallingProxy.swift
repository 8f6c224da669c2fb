import Foundation
import HeraldKubeTestSupport
import HeraldTestSupport

/// A TLS proxy in front of the dev cluster's API server that counts what passes and can hold requests: it serves
/// the API server's own certificate (so a kubeconfig that trusts the cluster's CA trusts it), reads each HTTP/1.1
/// request, prints `fwd TIME METHOD PATH` (CLOCK_MONOTONIC seconds) as it forwards one, and copies the answers back
/// unchanged (watches included). After `stall FRAGMENT` on its stdin, a request whose path contains FRAGMENT is held
/// (printed as `held TIME METHOD PATH`) and never forwarded: a renewal that hangs on a stuck API server.
final class StallingProxy: Sendable {
    static let script = #"""
        import socket, ssl, sys, threading, time
        cert, key, ca, upstream_port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
        stalled = []
        lock = threading.Lock()
        def say(*words):
            with lock:
                print(*words, flush=True)
        def commands():
            for line in sys.stdin:
                parts = line.split()
                if len(parts) == 2 and parts[0] == "stall":
                    stalled.append(parts[1])
                    say("stalling", parts[1])
        threading.Thread(target=commands, daemon=True).start()
        server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_ctx.load_cert_chain(cert, key)
        client_ctx = ssl.create_default_context(cafile=ca)
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        def pump(source, sink):
            try:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    sink.sendall(data)
            except OSError:
                pass
            for s in (source, sink):
                try:
                    s.close()
                except OSError:
                    pass
        def serve(raw):
            try:
                client = server_ctx.wrap_socket(raw, server_side=True)
                up = client_ctx.wrap_socket(socket.create_connection(("127.0.0.1", upstream_port)), server_hostname="127.0.0.1")
            except (OSError, ssl.SSLError):
                raw.close()
                return
            threading.Thread(target=pump, args=(up, client), daemon=True).start()
            buffer = b""
            try:
                while True:
                    while b"\r\n\r\n" not in buffer:
                        data = client.recv(65536)
                        if not data:
                            up.close()
                            return
                        buffer += data
                    head, _, buffer = buffer.partition(b"\r\n\r\n")
                    lines = head.split(b"\r\n")
                    method, path = lines[0].split(b" ")[:2]
                    length = 0
                    for line in lines[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value.strip())
                    while len(buffer) < length:
                        data = client.recv(65536)
                        if not data:
                            up.close()
                            return
                        buffer += data
                    body, buffer = buffer[:length], buffer[length:]
                    text = path.decode(errors="replace")
                    if any(fragment in text for fragment in stalled):
                        say("held", "%.6f" % time.monotonic(), method.decode(), text)
                        while True:
                            time.sleep(3600)
                    say("fwd", "%.6f" % time.monotonic(), method.decode(), text)
                    up.sendall(head + b"\r\n\r\n" + body)
            except OSError:
                up.close()
        say("listening", listener.getsockname()[1])
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()
        """#

    static let path = TestSupport.script("stalling-proxy", script)

    let process: LineProcess
    let port: Int

    /// One forwarded or held request.
    struct Request: Sendable {
        var held: Bool
        var time: Double
        var method: String
        var path: String
    }

    /// Starts the proxy in front of `cluster`'s API server.
    init(cluster: DevCluster) throws {
        let certs = cluster.directory
        let upstream = try String(contentsOfFile: cluster.directory + "/apiserver.port", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        process = try LineProcess(
            executable: "/usr/bin/python3",
            arguments: [Self.path, "\(certs)/server.crt", "\(certs)/server.key", "\(certs)/ca.crt", upstream])
        guard let line = process.expect("listening", timeout: 10), let port = Int(line.split(separator: " ")[1])
        else { throw ProxyError(message: "the proxy did not start: \(process.transcript)") }
        self.port = port
    }

    struct ProxyError: Error, CustomStringConvertible { var message: String; var description: String { message } }

    /// Holds, from now on, every request whose path contains `fragment`.
    func stall(_ fragment: String) {
        process.send("stall \(fragment)")
        _ = process.expect("stalling", timeout: 5)
    }

    /// Every request so far, in order.
    var requests: [Request] {
        process.lines.compactMap { line in
            let words = line.split(separator: " ")
            guard words.count == 4, words[0] == "fwd" || words[0] == "held", let time = Double(words[1]) else {
                return nil
            }
            return Request(held: words[0] == "held", time: time, method: String(words[2]), path: String(words[3]))
        }
    }

    /// A copy of `kubeconfig` whose server is this proxy, written next to it (its relative paths stay valid) as
    /// `name`.
    func kubeconfig(from kubeconfig: String, name: String) throws -> String {
        let path = (kubeconfig as NSString).deletingLastPathComponent + "/" + name
        let text = try String(contentsOfFile: kubeconfig, encoding: .utf8)
        let rewritten = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.trimmingCharacters(in: .whitespaces).hasPrefix("server:")
                ? "    server: https://127.0.0.1:\(port)" : String(line)
        }.joined(separator: "\n")
        try rewritten.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func stop() { process.stop(quit: nil) }
}
