import Foundation
import HeraldTestSupport

/// A scripted BGP peer (python3, standard library only) in the router namespace: it accepts the plugin's connection
/// on 198.51.100.1:179, completes the OPEN exchange as AS 64512, then sends the hex-encoded messages it was given
/// and prints every message the plugin sends back, one line each: `recv TYPE HEX`. Kept as text so that the tests
/// need no file outside their target.
enum FakePeer {
    static let script = #"""
        import binascii, select, socket, struct, sys, time

        def read_message(conn, deadline):
            data = b""
            while len(data) < 19:
                chunk = recv(conn, 19 - len(data), deadline)
                if not chunk: return None
                data += chunk
            length = struct.unpack("!H", data[16:18])[0]
            while len(data) < length:
                chunk = recv(conn, length - len(data), deadline)
                if not chunk: return None
                data += chunk
            return data

        def recv(conn, n, deadline):
            r, _, _ = select.select([conn], [], [], max(0, deadline - time.time()))
            if not r: return b""
            try: return conn.recv(n)
            except OSError: return b""

        def main(messages):
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("198.51.100.1", 179)); listener.listen(4)
            print("listening", flush=True)
            for hexes in messages:
                conn, _ = listener.accept()
                deadline = time.time() + 10
                opened = read_message(conn, deadline)
                print(f"recv {opened[18]} {opened.hex()}", flush=True)
                caps = bytes.fromhex("0206010400010001" + "02064104" + "0000fc00")
                body = struct.pack("!BHHIB", 4, 64512, 30, 0xC6336401, len(caps)) + caps
                conn.sendall(b"\xff" * 16 + struct.pack("!HB", 19 + len(body), 1) + body)
                conn.sendall(b"\xff" * 16 + struct.pack("!HB", 19, 4))
                for h in hexes.split(","):
                    if h: conn.sendall(binascii.unhexlify(h))
                deadline = time.time() + 3
                while True:
                    m = read_message(conn, deadline)
                    if m is None: break
                    print(f"recv {m[18]} {m.hex()}", flush=True)
                print("closed", flush=True)
                conn.close()
            print("done", flush=True)

        main(sys.argv[1:])
        """#

    /// Writes the script once per process and returns its path.
    static let path = TestSupport.script("bgp-fakepeer", script)
}
