import Foundation
import HeraldKubeTestSupport
import HeraldTestSupport

/// A TLS proxy in front of the dev cluster's API server that counts what passes and can hold requests: it serves
/// the API server's own certificate (so a kubeconfig that trusts the cluster's CA trusts it), reads each HTTP/1.1
/// request, prints `fwd TIME METHOD PATH` (CLOCK_MONOTONIC seconds) as it forwards one, and copies the answers back
/// unchanged (watches included). After `stall FRAGMENT` on its stdin, a request whose path contains FRAGMENT is held
/// (printed as `held TIME METHOD PATH`) and never forwarded: a renewal that hangs on a stuck API server.
///
/// It runs on one asyncio loop. An earlier version read each TLS connection on one thread while another wrote its
/// answers: OpenSSL does not allow one connection to be used from two threads at once, and requests through it were
/// seen to hang for their whole 30 s timeout.
final class StallingProxy: Sendable {
    static let script = #"""
        import asyncio, ssl, sys, threading, time
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
        held = []
        async def pump(source, sink):
            try:
                while True:
                    data = await source.read(65536)
                    if not data:
                        break
                    sink.write(data)
                    await sink.drain()
            except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
                pass
            sink.close()
        async def serve(client_reader, client_writer):
            try:
                up_reader, up_writer = await asyncio.open_connection(
                    "127.0.0.1", upstream_port, ssl=client_ctx, server_hostname="127.0.0.1")
            except (OSError, ssl.SSLError):
                client_writer.close()
                return
            answers = asyncio.create_task(pump(up_reader, client_writer))
            try:
                while True:
                    head = await client_reader.readuntil(b"\r\n\r\n")
                    lines = head[:-4].split(b"\r\n")
                    method, path = lines[0].split(b" ")[:2]
                    length = 0
                    for line in lines[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value.strip())
                    body = await client_reader.readexactly(length)
                    text = path.decode(errors="replace")
                    if any(fragment in text for fragment in stalled):
                        say("held", "%.6f" % time.monotonic(), method.decode(), text)
                        held.append((client_writer, up_writer, answers))
                        return
                    say("fwd", "%.6f" % time.monotonic(), method.decode(), text)
                    up_writer.write(head + body)
                    await up_writer.drain()
            except (OSError, ssl.SSLError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                up_writer.close()
        async def main():
            server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_ctx, backlog=64)
            say("listening", server.sockets[0].getsockname()[1])
            await server.serve_forever()
        asyncio.run(main())
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
