package io.packetlens.ebpf.socket;

/**
 * The AF_PACKET memory-mapped receive ABI of {@code linux/if_packet.h} (TPACKET_V3), declared once: socket options,
 * status bits, and the byte offsets of the structures the kernel and this process share ({@code struct tpacket_req3},
 * {@code tpacket_block_desc} with its {@code tpacket_hdr_v1}, {@code tpacket3_hdr} with {@code tpacket_hdr_variant1},
 * {@code tpacket_stats_v3}, {@code sockaddr_ll}, and classic BPF's {@code sock_fprog} / {@code sock_filter}).
 * {@code PacketLayoutTest} compares every offset here with the running kernel's BTF.
 */
final class IfPacket {
    private IfPacket() {}

    /** Socket option level of the PACKET_* options (SOL_PACKET in linux/socket.h). */
    static final int SOL_PACKET = 263;
    static final int PACKET_RX_RING = 5, PACKET_STATISTICS = 6, PACKET_VERSION = 10, PACKET_IGNORE_OUTGOING = 23;
    /** enum tpacket_versions: TPACKET_V1, TPACKET_V2, TPACKET_V3. */
    static final int TPACKET_V3 = 2;
    /** SO_ATTACH_FILTER at SOL_SOCKET: a classic BPF socket filter (no bpf(2), no capability needed). */
    static final int SO_ATTACH_FILTER = 26;

    // block_status and tp_status bits
    static final int TP_STATUS_KERNEL = 0, TP_STATUS_USER = 1, TP_STATUS_COPY = 1 << 1, TP_STATUS_LOSING = 1 << 2,
            TP_STATUS_VLAN_VALID = 1 << 4, TP_STATUS_BLK_TMO = 1 << 5, TP_STATUS_VLAN_TPID_VALID = 1 << 6;

    /** sll_pkttype of a frame this host sent (the other values are kinds of received frames). */
    static final int PACKET_OUTGOING = 4;

    /** TPACKET_ALIGNMENT: headers and frames in a block start at multiples of 16. */
    static final int TPACKET_ALIGNMENT = 16;

    static int align(int n) {
        return (n + TPACKET_ALIGNMENT - 1) & ~(TPACKET_ALIGNMENT - 1);
    }

    /** struct tpacket_req3: seven unsigned ints. */
    static final class Req3 {
        static final int BLOCK_SIZE = 0, BLOCK_NR = 4, FRAME_SIZE = 8, FRAME_NR = 12, RETIRE_BLK_TOV = 16, SIZEOF_PRIV = 20,
                FEATURE_REQ_WORD = 24;
        static final int SIZE = 28;

        private Req3() {}
    }

    /**
     * struct tpacket_block_desc { u32 version; u32 offset_to_priv; union tpacket_bd_header_u hdr; } whose hdr is a
     * struct tpacket_hdr_v1 { u32 block_status; u32 num_pkts; u32 offset_to_first_pkt; u32 blk_len; u64 seq_num;
     * tpacket_bd_ts ts_first_pkt, ts_last_pkt; }; offsets here are from the start of the block.
     */
    static final class BlockDesc {
        static final int VERSION = 0, OFFSET_TO_PRIV = 4, HDR = 8;
        static final int BLOCK_STATUS = HDR, NUM_PKTS = HDR + 4, OFFSET_TO_FIRST_PKT = HDR + 8, BLK_LEN = HDR + 12,
                SEQ_NUM = HDR + 16, TS_FIRST_PKT = HDR + 24, TS_LAST_PKT = HDR + 32;
        /** sizeof(struct tpacket_hdr_v1). */
        static final int HDR_V1_SIZE = 40;

        private BlockDesc() {}
    }

    /**
     * struct tpacket3_hdr, one per frame in a block: the frame itself starts {@code tp_mac} bytes after it, and the
     * next header {@code tp_next_offset} bytes after it (0 after the last frame). The kernel puts a struct sockaddr_ll
     * at {@link #SOCKADDR_LL} from the header.
     */
    static final class Hdr3 {
        static final int NEXT_OFFSET = 0, SEC = 4, NSEC = 8, SNAPLEN = 12, LEN = 16, STATUS = 20, MAC = 24, NET = 26;
        /** The anonymous union's struct tpacket_hdr_variant1 hv1 { u32 tp_rxhash; u32 tp_vlan_tci; u16 tp_vlan_tpid; u16 tp_padding; }. */
        static final int HV1 = 28, RXHASH = HV1, VLAN_TCI = HV1 + 4, VLAN_TPID = HV1 + 8;
        static final int SIZE = 48;
        /** TPACKET_ALIGN(sizeof(struct tpacket3_hdr)): where the kernel writes the frame's sockaddr_ll. */
        static final int SOCKADDR_LL = 48;

        private Hdr3() {}
    }

    /** struct sockaddr_ll { u16 family; be16 protocol; int ifindex; u16 hatype; u8 pkttype; u8 halen; u8 addr[8]; }. */
    static final class SockaddrLl {
        static final int FAMILY = 0, PROTOCOL = 2, IFINDEX = 4, HATYPE = 8, PKTTYPE = 10, HALEN = 11, ADDR = 12;
        static final int SIZE = 20;

        private SockaddrLl() {}
    }

    /** struct tpacket_stats_v3 { unsigned tp_packets, tp_drops, tp_freeze_q_cnt; }: reading it resets the kernel's counts. */
    static final class StatsV3 {
        static final int PACKETS = 0, DROPS = 4, FREEZE_Q_CNT = 8;
        static final int SIZE = 12;

        private StatsV3() {}
    }

    /** struct sock_fprog { unsigned short len; struct sock_filter *filter; } on 64-bit: the pointer at 8. */
    static final class SockFprog {
        static final int LEN = 0, FILTER = 8;
        static final int SIZE = 16;

        private SockFprog() {}
    }

    /** struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }: one classic BPF instruction. */
    static final class SockFilter {
        static final int CODE = 0, JT = 2, JF = 3, K = 4;
        static final int SIZE = 8;
        /** BPF_RET | BPF_K: accept the first k bytes of the packet (0: none). */
        static final short RET_K = 0x06;

        private SockFilter() {}
    }
}
