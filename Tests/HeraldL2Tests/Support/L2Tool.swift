import Foundation
import HeraldTestSupport

/// A small raw-frame tool run with python3 (standard library only) in the router namespace: crafted Neighbor
/// Solicitations (with or without the source link-layer option), floods of random and malformed frames, and bursts
/// of ARP requests for the CPU measurement. Kept here as text so the tests need no files outside their target.
enum L2Tool {
    /// Writes the script once per process and returns the command prefix that runs it.
    static let command = "/usr/bin/python3 \(TestSupport.script("l2tool", script))"

    static let script = #"""
        import os, random, select, socket, struct, sys, time

        def mac_bytes(text): return bytes(int(x, 16) for x in text.split(":"))
        def iface_mac(iface): return mac_bytes(open(f"/sys/class/net/{iface}/address").read().strip())
        def checksum(data):
            if len(data) % 2: data += b"\0"
            s = sum(struct.unpack(f"!{len(data)//2}H", data))
            while s >> 16: s = (s & 0xffff) + (s >> 16)
            return (~s) & 0xffff
        def icmp6(src, dst, body):
            pseudo = src + dst + struct.pack("!I3xB", len(body), 58)
            c = checksum(pseudo + body)
            return body[:2] + struct.pack("!H", c) + body[4:]
        def ipv6(src, dst, payload, hop=255):
            return struct.pack("!IHBB", 0x60000000, len(payload), 58, hop) + src + dst + payload
        def solicitation(eth_dst, eth_src, src, dst, target, slla):
            body = struct.pack("!BBHI", 135, 0, 0, 0) + target
            if slla: body += bytes([1, 1]) + eth_src
            return eth_dst + eth_src + b"\x86\xdd" + ipv6(src, dst, icmp6(src, dst, body))
        def arp_request(eth_src, sip, tip, eth_dst=b"\xff" * 6):
            return eth_dst + eth_src + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + eth_src + sip + b"\0" * 6 + tip

        def open_socket(iface, proto=0x0003):
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
            s.bind((iface, 0))
            return s

        def tagged(frame, vid):
            # An 802.1Q tag (TPID 0x8100, priority 0) after the MAC addresses; "none" leaves the frame untagged.
            return frame if vid == "none" else frame[:12] + struct.pack("!HH", 0x8100, int(vid)) + frame[12:]

        def cmd_ns(iface, dst_mac, src_ip, target_ip, slla, vid="none"):
            s = open_socket(iface, 0x86dd)
            mac = iface_mac(iface)
            src = socket.inet_pton(socket.AF_INET6, src_ip); target = socket.inet_pton(socket.AF_INET6, target_ip)
            eth_dst = mac_bytes(dst_mac)
            # Multicast solicitations go to the target's solicited-node group (RFC 4861 section 7.2.2), NUD probes unicast.
            dst = bytes.fromhex("ff0200000000000000000001ff") + target[13:] if eth_dst[0] & 1 else target
            s.send(tagged(solicitation(eth_dst, mac, src, dst, target, slla == "slla"), vid))
            deadline = time.time() + 2
            while time.time() < deadline:
                r, _, _ = select.select([s], [], [], max(0, deadline - time.time()))
                if not r: break
                frame, addr = s.recvfrom(2048)
                if addr[2] == socket.PACKET_OUTGOING: continue
                if len(frame) < 78 or frame[20] != 58 or frame[54] != 136: continue
                if frame[62:78] != target: continue
                tlla = frame[80:86].hex(":") if len(frame) >= 86 and frame[78] == 2 else "-"
                print(f"na ethdst={frame[0:6].hex(':')} src={socket.inet_ntop(socket.AF_INET6, frame[22:38])} "
                      f"dst={socket.inet_ntop(socket.AF_INET6, frame[38:54])} hop={frame[21]} flags={frame[58]:#04x} tlla={tlla}")
                return
            print("none")

        def cmd_flood(iface, count, seed):
            rng = random.Random(int(seed)); s = open_socket(iface); mac = iface_mac(iface)
            src6 = socket.inet_pton(socket.AF_INET6, "2001:db8::1"); t6 = socket.inet_pton(socket.AF_INET6, "2001:db8::99")
            sent = 0
            for i in range(int(count)):
                kind = i % 8
                if kind == 0: frame = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 80)))
                elif kind == 1: frame = b"\xff" * 6 + mac + b"\x08\x06" + bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 60)))
                elif kind == 2:  # oversized ARP
                    frame = arp_request(mac, b"\xc6\x33\x64\x01", b"\xc6\x33\x64\x32") + b"\0" * 1400
                elif kind == 3:  # VLAN-tagged ARP request
                    f = arp_request(mac, b"\xc6\x33\x64\x01", b"\xc6\x33\x64\x32"); frame = f[:12] + b"\x81\x00\x00\x07" + f[12:]
                elif kind == 4:  # truncated NS
                    f = solicitation(b"\x33\x33\xff\x00\x00\x99", mac, src6, t6, t6, True); frame = f[:rng.randint(14, len(f) - 1)]
                elif kind == 5:  # NS with corrupted bytes
                    f = bytearray(solicitation(b"\x33\x33\xff\x00\x00\x99", mac, src6, t6, t6, True))
                    for _ in range(3): f[rng.randint(14, len(f) - 1)] = rng.getrandbits(8)
                    frame = bytes(f)
                elif kind == 6:  # NS with zero-length option
                    f = bytearray(solicitation(b"\x33\x33\xff\x00\x00\x99", mac, src6, t6, t6, True)); f[79] = 0; frame = bytes(f)
                else:  # ARP with random body, bad lengths or operation
                    f = bytearray(arp_request(mac, b"\xc6\x33\x64\x01", b"\xc6\x33\x64\x32")); f[rng.randint(14, 21)] = rng.getrandbits(8); frame = bytes(f)
                if len(frame) < 14: frame = frame + b"\0" * (14 - len(frame))
                try: s.send(frame); sent += 1
                except OSError: pass
            print(f"sent {sent}")

        def cmd_arpflood(iface, count, target_ip):
            s = open_socket(iface); mac = iface_mac(iface)
            frame = arp_request(mac, socket.inet_aton("198.51.100.1"), socket.inet_aton(target_ip))
            start = time.time(); sent = 0
            for _ in range(int(count)):
                while True:
                    try: s.send(frame); sent += 1; break
                    except OSError: time.sleep(0.0005)
                if sent % 200 == 0: time.sleep(0.002)
            print(f"sent {sent} in {time.time() - start:.3f}s")

        def cmd_arp(iface, target_ip, vid):
            # One broadcast ARP request for target_ip (tagged with vid unless "none"); prints every ARP reply for it
            # within 1 s with the VLAN it came on (from PACKET_AUXDATA: the kernel strips received tags), "none" when
            # untagged; or "none" if nothing answered.
            s = open_socket(iface); mac = iface_mac(iface); tip = socket.inet_aton(target_ip)
            s.setsockopt(263, 8, 1)  # SOL_PACKET, PACKET_AUXDATA
            s.send(tagged(arp_request(mac, socket.inet_aton("198.51.100.1"), tip), vid))
            deadline = time.time() + 1; replies = 0
            while time.time() < deadline:
                r, _, _ = select.select([s], [], [], max(0, deadline - time.time()))
                if not r: break
                frame, ancillary, _, addr = s.recvmsg(2048, socket.CMSG_SPACE(20))
                if addr[2] == socket.PACKET_OUTGOING: continue
                tag = "none"
                for level, kind, data in ancillary:
                    if level == 263 and kind == 8 and len(data) >= 18:
                        status, _, _, _, _, tci = struct.unpack("=IIIHHH", data[:18])
                        if status & 0x10: tag = str(tci & 0xfff)
                if frame[0:6] != mac or frame[12:14] != b"\x08\x06" or len(frame) < 42 or frame[20:22] != b"\x00\x02" or frame[28:32] != tip: continue
                print(f"reply {frame[22:28].hex(':')} tag={tag}"); replies += 1
            if replies == 0: print("none")

        if __name__ == "__main__":
            {"ns": cmd_ns, "flood": cmd_flood, "arpflood": cmd_arpflood, "arp": cmd_arp}[sys.argv[1]](*sys.argv[2:])
        """#
}
