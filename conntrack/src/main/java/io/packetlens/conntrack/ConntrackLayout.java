package io.packetlens.conntrack;

/**
 * Byte layouts of the connection tracker's kernel tables, declared once: {@code struct pl_ct_key},
 * {@code struct pl_ct_entry} with its two {@code struct pl_ct_dir}, and the counters of
 * {@code enum pl_ct_counter} (programs/src/main/bpf/include/packetlens_conntrack.h). ConntrackLayoutTest checks them
 * against the object's BTF.
 */
public final class ConntrackLayout {
    private ConntrackLayout() {}

    /** The kernel object, a resource of the programs jar. */
    public static final String OBJECT = "/io/packetlens/programs/conntrack.bpf.o";
    public static final String TABLE = "ct_table", COUNTERS = "ct_counters", EVENTS = "ct_events";
    public static final String TC_INGRESS = "ct_tc_ingress", TC_EGRESS = "ct_tc_egress", XDP = "ct_xdp";
    public static final String ZONE_IFINDEX = "cfg_ct_zone_ifindex", TIMEOUTS = "cfg_ct_timeout_ns", EVENTS_ON = "cfg_ct_events";
    public static final int TIMEOUT_SLOTS = 16;

    /** struct pl_ct_key. */
    public static final class Key {
        private Key() {}

        public static final int SIZE = 40;
        public static final int ADDR0 = 0, ADDR1 = 16, PORT0 = 32, PORT1 = 34, PROTO = 36, ZONE = 38;
    }

    /** struct pl_ct_entry. */
    public static final class Entry {
        private Entry() {}

        public static final int SIZE = 136;
        public static final int STATE = 4, FLAGS = 5, IFINDEX = 6, FIRST_NS = 8, LAST_NS = 16, SYN_NS = 24,
                SYNACK_NS = 32, ACK_NS = 40, EVENT_SEQ = 48, DIR0 = 56, DIR1 = 96;
    }

    /** struct pl_ct_event, one record of {@link #EVENTS}. */
    public static final class Event {
        private Event() {}

        public static final int SIZE = 88;
        public static final int TS_NS = 0, KEY = 8, KIND = 48, STATE = 49, FLAGS = 50, SEQ = 52, PACKETS0 = 56,
                PACKETS1 = 64, BYTES0 = 72, BYTES1 = 80;
    }

    /** struct pl_ct_dir, at {@link Entry#DIR0} and {@link Entry#DIR1}. */
    public static final class Dir {
        private Dir() {}

        public static final int SIZE = 40;
        public static final int PACKETS = 0, BYTES = 8, NEXT_SEQ = 16, RETRANSMITS = 20, OUT_OF_ORDER = 24,
                ZERO_WINDOW = 28, SEQ_VALID = 32, FIN_SEEN = 33, TCP_FLAGS = 34;
    }

    /** PL_CT_F_*. */
    public static final int F_ORIG_HIGH = 0x01, F_MIDSTREAM = 0x02, F_SEEN_REPLY = 0x04, F_ASSURED = 0x08,
            F_RELATED = 0x10, F_CLOSED_RST = 0x20, F_CLOSED_FIN = 0x40;
}
