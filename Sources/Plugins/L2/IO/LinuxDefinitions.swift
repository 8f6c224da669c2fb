/// Linux kernel ABI definitions that Glibc's Swift module does not import (linux/filter.h, linux/netlink.h). Layouts
/// and values are the kernel's, stable by its user-space ABI promise.

/// One classic BPF instruction (struct sock_filter, linux/filter.h).
package struct SocketFilterInstruction: Sendable {
    package var code: UInt16
    package var jt: UInt8
    package var jf: UInt8
    package var k: UInt32

    package init(code: UInt16, jt: UInt8, jf: UInt8, k: UInt32) {
        self.code = code
        self.jt = jt
        self.jf = jf
        self.k = k
    }
}

/// A classic BPF program (struct sock_fprog).
struct SocketFilterProgram {
    var len: UInt16
    var filter: UnsafeMutablePointer<SocketFilterInstruction>?
}

/// A netlink socket address (struct sockaddr_nl, linux/netlink.h).
struct NetlinkAddress {
    var nl_family: UInt16 = 0
    var nl_pad: UInt16 = 0
    var nl_pid: UInt32 = 0
    var nl_groups: UInt32 = 0
}

let NETLINK_ROUTE: Int32 = 0
/// Multicast group of link notifications (RTMGRP_LINK, linux/rtnetlink.h).
let RTMGRP_LINK: UInt32 = 1
let SO_ATTACH_FILTER_: Int32 = 26
let SO_RCVBUFFORCE_: Int32 = 33
let PACKET_IGNORE_OUTGOING_: Int32 = 23

/// A link-layer socket address (struct sockaddr_ll, linux/if_packet.h).
struct LinkLayerAddress {
    var sll_family: UInt16 = 0
    var sll_protocol: UInt16 = 0
    var sll_ifindex: Int32 = 0
    var sll_hatype: UInt16 = 0
    var sll_pkttype: UInt8 = 0
    var sll_halen: UInt8 = 0
    var sll_addr: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0)
}

/// A packet socket multicast membership request (struct packet_mreq).
struct PacketMembershipRequest {
    var mr_ifindex: Int32 = 0
    var mr_type: UInt16 = 0
    var mr_alen: UInt16 = 0
    var mr_address: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0)
}

/// Per-frame metadata of PACKET_AUXDATA (struct tpacket_auxdata).
struct PacketAuxiliaryData {
    var tp_status: UInt32 = 0
    var tp_len: UInt32 = 0
    var tp_snaplen: UInt32 = 0
    var tp_mac: UInt16 = 0
    var tp_net: UInt16 = 0
    var tp_vlan_tci: UInt16 = 0
    var tp_vlan_tpid: UInt16 = 0
}

let SOL_PACKET: Int32 = 263
let PACKET_ADD_MEMBERSHIP: Int32 = 1
let PACKET_DROP_MEMBERSHIP: Int32 = 2
let PACKET_AUXDATA: Int32 = 8
let PACKET_STATISTICS_: Int32 = 6

/// PACKET_STATISTICS (struct tpacket_stats): frames queued and frames the kernel dropped since the last read.
struct PacketStatistics {
    var tp_packets: UInt32 = 0
    var tp_drops: UInt32 = 0
}
let PACKET_MR_MULTICAST: UInt16 = 0
let TP_STATUS_VLAN_VALID: UInt32 = 0x10
