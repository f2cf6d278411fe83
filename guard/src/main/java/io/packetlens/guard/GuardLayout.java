package io.packetlens.guard;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The kernel layouts of {@code programs/src/main/bpf/include/packetlens_guard.h}, declared once here with every offset
 * written out: map names, struct sizes and member offsets of {@code struct pl_guard_rule}, {@code pl_guard_set},
 * {@code pl_guard_limit}, the trie keys and values, the fragment, bucket and ban entries and the drop event.
 * GuardLayoutTest compares each with the BTF that clang wrote into the compiled object.
 */
public final class GuardLayout {
    private GuardLayout() {}

    public static final String OBJECT = "/io/packetlens/programs/guard.bpf.o";
    public static final String XDP_PROGRAM = "guard_xdp", TC_PROGRAM = "guard_tc_ingress",
            TC_EGRESS_PROGRAM = "guard_tc_egress";
    public static final String ACTIVE = "guard_active", SETS = "guard_sets", RULES = "guard_rules", LIMITS = "guard_limits",
            SRC = "guard_src", DST = "guard_dst", RULE_COUNTS = "guard_rule_counts", SLOT_COUNTS = "guard_slot_counts",
            COUNTERS = "guard_counters", FRAGS = "guard_frags", BUCKETS = "guard_buckets", INSERT = "guard_insert",
            BANS = "guard_bans", DROP_SOURCES = "guard_drop_sources", EVENTS = "guard_events", RULE_NAMES = "guard_rule_names";

    /** {@code PL_GUARD_MAX_RULES}: kernel rules per ruleset (bitmap of four 64-bit words). */
    public static final int MAX_RULES = 256;
    public static final int WORDS = 4;
    /** {@code PL_GUARD_MAX_LIMITS}: limiters per ruleset. */
    public static final int MAX_LIMITS = 16;
    public static final int NO_RULE = 0xffff;
    public static final int SAMPLE_BYTES = 128;
    public static final int FRAG_SPANS = 6;

    /** {@code pl_guard_rule.match} bits. */
    public static final int M_PROTO = 0x01, M_SPORT = 0x02, M_DPORT = 0x04, M_ICMP_TYPE = 0x08, M_ICMP_CODE = 0x10,
            M_TCP_FLAGS = 0x20, M_VLAN = 0x40;

    /** {@code struct pl_guard_rule}, 24 bytes. */
    public static final class Rule {
        public static final int SIZE = 24, SPORT_LO = 0, SPORT_HI = 2, DPORT_LO = 4, DPORT_HI = 6, VLAN = 8, SOURCE_RULE = 10,
                MATCH = 12, ACTION = 13, PROTO = 14, LIMIT = 15, ICMP_TYPE = 16, ICMP_CODE = 17, TCP_MASK = 18, TCP_VALUE = 19;
    }

    /** {@code struct pl_guard_set}, 1936 bytes. */
    public static final class Set {
        /** state_ok: one rule bitmap per connection state (enum pl_ct_verdict, 0 untracked). */
        public static final int STATES = 5;
        public static final int SIZE = 1936, STATE_OK = 96, SRC_ANY = 0, DST_ANY = 32, GENERATION = 64, FRAG_TIMEOUT_NS = 72, NRULES = 80,
                DEFAULT_ACTION = 88, DRY_RUN = 89, FRAG_FAIL_CLOSED = 90, LOOKUP_SRC = 91, LOOKUP_DST = 92, BANS = 93,
                TRACK = 94, SRC_LIST = 256, DST_LIST = 1096;
    }

    /**
     * {@code struct pl_guard_prefixes}, 840 bytes: a direction's prefixes matched in place of its trie when it has at most
     * {@link #MAX} of each family.
     */
    public static final class Prefixes {
        public static final int MAX = 8, SIZE = 840, N4 = 0, N6 = 1, V4 = 8, V6 = 328;
    }

    /** {@code struct pl_guard_prefix4}, 40 bytes: the masked address, the mask, the rule bitmap. */
    public static final class Prefix4 {
        public static final int SIZE = 40, NET = 0, MASK = 4, W = 8;
    }

    /** {@code struct pl_guard_prefix6}, 64 bytes. */
    public static final class Prefix6 {
        public static final int SIZE = 64, NET = 0, MASK = 16, W = 32;
    }

    /** {@code struct pl_guard_active}, 16 bytes. */
    public static final class Active {
        public static final int SIZE = 16, SLOT = 0, GENERATION = 8;
    }

    /** {@code struct pl_guard_limit}, 72 bytes. */
    public static final class Limit {
        public static final int SIZE = 72, PKT_INTERVAL_NS = 0, PKT_WINDOW_NS = 8, BYTE_INTERVAL_Q16 = 16, BYTE_WINDOW_NS = 24,
                BAN_NS = 32, TAG = 40, TRAFFIC = 44, PREFIX4 = 45, PREFIX6 = 46, COARSE_CLOCK = 47,
                MASK6 = 48, MASK4 = 64;
    }

    /** {@code struct pl_guard_lpm_key}, 24 bytes (2 of trailing padding): prefixlen (host order) counts the slot and family bytes. */
    public static final class LpmKey {
        public static final int SIZE = 24, PREFIXLEN = 0, SLOT = 4, FAMILY = 5, ADDR = 6;
    }

    /** {@code struct pl_guard_bits}, 32 bytes. */
    public static final int BITS_SIZE = 32;

    /** {@code struct pl_guard_count}, 16 bytes. */
    public static final class Count {
        public static final int SIZE = 16, PACKETS = 0, BYTES = 8;
    }

    /** {@code struct pl_guard_frag_key}, 40 bytes. */
    public static final class FragKey {
        public static final int SIZE = 40, SRC = 0, DST = 16, ID = 32, FAMILY = 36, PROTO = 37;
    }

    /** {@code struct pl_guard_frag}, 48 bytes. */
    public static final class Frag {
        public static final int SIZE = 48, LOCK = 0, VERDICT = 4, REASON = 5, NSPANS = 6, SEEN_LAST = 7, EXPIRES_NS = 8,
                SPAN_LO = 16, SPAN_HI = 28, TOTAL = 40;
    }

    /** {@code struct pl_guard_bucket_key}, 24 bytes. */
    public static final class BucketKey {
        public static final int SIZE = 24, TAG = 0, FAMILY = 4, PREFIX = 5, ADDR = 8;
    }

    /** {@code struct pl_guard_bucket}, 32 bytes. */
    public static final class Bucket {
        public static final int SIZE = 32, TAT_PKT = 0, TAT_BYTES = 8, LAST_NS = 16, DROPPED = 24;
    }

    /** {@code struct pl_guard_ban_key}, 24 bytes (3 of trailing padding): prefixlen counts the family byte. */
    public static final class BanKey {
        public static final int SIZE = 24, PREFIXLEN = 0, FAMILY = 4, ADDR = 5;
    }

    /** {@code struct pl_guard_ban}, 16 bytes. */
    public static final class Ban {
        public static final int SIZE = 16, EXPIRES_NS = 0, TAG = 8;
    }

    /** {@code struct pl_guard_source}, 40 bytes: a per-CPU slot of the dropped-source table. */
    public static final class Source {
        public static final int SIZE = 40, FAMILY = 0, CONTEST = 4, ADDR = 8, PACKETS = 24, BYTES = 32;
    }

    /** {@code struct pl_guard_event}, 160 bytes. */
    public static final class Event {
        public static final int SIZE = 160, TS_NS = 0, GENERATION = 8, PKT_LEN = 16, RULE = 20, REASON = 22, SLOT = 23,
                CAP_LEN = 24, FAMILY = 26, PROTO = 27, IFINDEX = 28, DATA = 32;
    }

    /** Struct name to (member name to byte offset) and size, for the layout test. */
    static Map<String, Map<String, Integer>> members() {
        Map<String, Map<String, Integer>> m = new LinkedHashMap<>();
        m.put("pl_guard_rule", of("sport_lo", Rule.SPORT_LO, "sport_hi", Rule.SPORT_HI, "dport_lo", Rule.DPORT_LO,
                "dport_hi", Rule.DPORT_HI, "vlan", Rule.VLAN, "source_rule", Rule.SOURCE_RULE, "match", Rule.MATCH,
                "action", Rule.ACTION, "proto", Rule.PROTO, "limit", Rule.LIMIT, "icmp_type", Rule.ICMP_TYPE,
                "icmp_code", Rule.ICMP_CODE, "tcp_mask", Rule.TCP_MASK, "tcp_value", Rule.TCP_VALUE));
        m.put("pl_guard_set", of("src_any", Set.SRC_ANY, "dst_any", Set.DST_ANY, "generation", Set.GENERATION,
                "frag_timeout_ns", Set.FRAG_TIMEOUT_NS, "nrules", Set.NRULES, "default_action", Set.DEFAULT_ACTION,
                "dry_run", Set.DRY_RUN, "frag_fail_closed", Set.FRAG_FAIL_CLOSED,
                "lookup_src", Set.LOOKUP_SRC, "lookup_dst", Set.LOOKUP_DST,
                "bans", Set.BANS, "track", Set.TRACK, "state_ok", Set.STATE_OK, "src_list", Set.SRC_LIST,
                "dst_list", Set.DST_LIST));
        m.put("pl_guard_prefixes", of("n4", Prefixes.N4, "n6", Prefixes.N6, "v4", Prefixes.V4, "v6", Prefixes.V6));
        m.put("pl_guard_prefix4", of("net", Prefix4.NET, "mask", Prefix4.MASK, "w", Prefix4.W));
        m.put("pl_guard_prefix6", of("net", Prefix6.NET, "mask", Prefix6.MASK, "w", Prefix6.W));
        m.put("pl_guard_active", of("slot", Active.SLOT, "generation", Active.GENERATION));
        m.put("pl_guard_limit", of("pkt_interval_ns", Limit.PKT_INTERVAL_NS, "pkt_window_ns", Limit.PKT_WINDOW_NS,
                "byte_interval_q16", Limit.BYTE_INTERVAL_Q16, "byte_window_ns", Limit.BYTE_WINDOW_NS, "ban_ns", Limit.BAN_NS,
                "tag", Limit.TAG, "traffic", Limit.TRAFFIC, "prefix4", Limit.PREFIX4, "prefix6", Limit.PREFIX6,
                "coarse_clock", Limit.COARSE_CLOCK, "mask6", Limit.MASK6, "mask4", Limit.MASK4));
        m.put("pl_guard_lpm_key", of("prefixlen", LpmKey.PREFIXLEN, "slot", LpmKey.SLOT, "family", LpmKey.FAMILY, "addr", LpmKey.ADDR));
        m.put("pl_guard_count", of("packets", Count.PACKETS, "bytes", Count.BYTES));
        m.put("pl_guard_rule_name", of("rule", RuleName.RULE, "priority", RuleName.PRIORITY, "name", RuleName.NAME));
        m.put("pl_guard_frag_key", of("src", FragKey.SRC, "dst", FragKey.DST, "id", FragKey.ID, "family", FragKey.FAMILY,
                "proto", FragKey.PROTO));
        m.put("pl_guard_frag", of("lock", Frag.LOCK, "verdict", Frag.VERDICT, "reason", Frag.REASON, "nspans", Frag.NSPANS,
                "seen_last", Frag.SEEN_LAST, "expires_ns", Frag.EXPIRES_NS, "span_lo", Frag.SPAN_LO, "span_hi", Frag.SPAN_HI,
                "total", Frag.TOTAL));
        m.put("pl_guard_bucket_key", of("tag", BucketKey.TAG, "family", BucketKey.FAMILY, "prefix", BucketKey.PREFIX, "addr", BucketKey.ADDR));
        m.put("pl_guard_bucket", of("tat_pkt", Bucket.TAT_PKT, "tat_bytes", Bucket.TAT_BYTES, "last_ns", Bucket.LAST_NS,
                "dropped", Bucket.DROPPED));
        m.put("pl_guard_ban_key", of("prefixlen", BanKey.PREFIXLEN, "family", BanKey.FAMILY, "addr", BanKey.ADDR));
        m.put("pl_guard_ban", of("expires_ns", Ban.EXPIRES_NS, "tag", Ban.TAG));
        m.put("pl_guard_source", of("family", Source.FAMILY, "contest", Source.CONTEST, "addr", Source.ADDR, "packets", Source.PACKETS,
                "bytes", Source.BYTES));
        m.put("pl_guard_event", of("ts_ns", Event.TS_NS, "generation", Event.GENERATION, "pkt_len", Event.PKT_LEN,
                "rule", Event.RULE, "reason", Event.REASON, "slot", Event.SLOT, "cap_len", Event.CAP_LEN, "family", Event.FAMILY,
                "proto", Event.PROTO, "ifindex", Event.IFINDEX, "data", Event.DATA));
        return m;
    }

    static Map<String, Integer> sizes() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("pl_guard_rule", Rule.SIZE);
        m.put("pl_guard_set", Set.SIZE);
        m.put("pl_guard_active", Active.SIZE);
        m.put("pl_guard_limit", Limit.SIZE);
        m.put("pl_guard_lpm_key", LpmKey.SIZE);
        m.put("pl_guard_bits", BITS_SIZE);
        m.put("pl_guard_prefixes", Prefixes.SIZE);
        m.put("pl_guard_prefix4", Prefix4.SIZE);
        m.put("pl_guard_prefix6", Prefix6.SIZE);
        m.put("pl_guard_count", Count.SIZE);
        m.put("pl_guard_frag_key", FragKey.SIZE);
        m.put("pl_guard_frag", Frag.SIZE);
        m.put("pl_guard_bucket_key", BucketKey.SIZE);
        m.put("pl_guard_bucket", Bucket.SIZE);
        m.put("pl_guard_source", Source.SIZE);
        m.put("pl_guard_ban_key", BanKey.SIZE);
        m.put("pl_guard_ban", Ban.SIZE);
        m.put("pl_guard_event", Event.SIZE);
        m.put("pl_guard_rule_name", RuleName.SIZE);
        return m;
    }

    private static Map<String, Integer> of(Object... kv) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], (Integer) kv[i + 1]);
        return m;
    }

    /** {@code struct pl_guard_rule_name}: which rule of the file a kernel rule came from. */
    public static final class RuleName {
        public static final int RULE = 0, PRIORITY = 4, NAME = 8, NAME_BYTES = 64, SIZE = 72;
        /** {@code PL_GUARD_NO_NAME}: an unused kernel rule. */
        public static final int NONE = -1;
        private RuleName() {}
    }
}
