#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A classic BPF program for the NDP socket: only IPv6 frames whose next header is ICMPv6 (58) and whose first
/// payload byte is 135 (Neighbor Solicitation) or 136 (Neighbor Advertisement, for conflict detection) reach user
/// space; everything else stays in the kernel. Malformed messages still pass and are counted by the codec. Offsets
/// are from the start of the Ethernet frame.
package enum NDPSocketFilter {
    package static let neighborDiscovery: [SocketFilterInstruction] = [
        SocketFilterInstruction(code: 0x30, jt: 0, jf: 0, k: 20),  // ldb [20]         IPv6 next header
        SocketFilterInstruction(code: 0x15, jt: 0, jf: 4, k: 58),  // jeq #58          ICMPv6, else drop
        SocketFilterInstruction(code: 0x30, jt: 0, jf: 0, k: 54),  // ldb [54]         ICMPv6 type
        SocketFilterInstruction(code: 0x15, jt: 1, jf: 0, k: 135),  // jeq #135        Neighbor Solicitation: accept
        SocketFilterInstruction(code: 0x15, jt: 0, jf: 1, k: 136),  // jeq #136        Neighbor Advertisement, else drop
        SocketFilterInstruction(code: 0x06, jt: 0, jf: 0, k: 0xFFFF_FFFF),  // ret #-1  whole frame
        SocketFilterInstruction(code: 0x06, jt: 0, jf: 0, k: 0),  // ret #0             drop
    ]
}
