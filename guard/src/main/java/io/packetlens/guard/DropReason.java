package io.packetlens.guard;

/**
 * The guard program's counters by reason ({@code enum pl_guard_counter} of packetlens_guard.h, index = ordinal slot in
 * {@code guard_counters}). Every packet is counted in exactly one of {@link #PASSED}, {@link #DROPPED} and
 * {@link #NOT_IP}; every dropped packet in exactly one reason whose {@link #isDrop()} is true. In a dry run, dropped
 * packets are passed and also counted in {@link #DRY_RUN_PASSED}. The rest count events (table inserts, refusals that
 * did not drop).
 */
public enum DropReason {
    PASSED(0, false, "packets passed"),
    DROPPED(1, false, "packets dropped (in a dry run: that would have been)"),
    NOT_IP(2, false, "frames passed unjudged: not IPv4 or IPv6"),
    DRY_RUN_PASSED(3, false, "dry run: dropped packets let through"),
    RULE(4, true, "a deny rule matched"),
    DEFAULT(5, true, "no rule decided and the default is deny"),
    RATE_LIMITED(6, true, "over its rate limit"),
    BANNED(7, true, "the source is banned"),
    BUCKET_TABLE_FULL(8, true, "a rate-limited source with no bucket while the bucket table is full"),
    BUCKET_INSERT_RATE(9, true, "a rate-limited source with no bucket while new buckets are over their insert rate"),
    FRAGMENT_TINY(10, true, "a first fragment without the whole transport header (RFC 1858, 3128, 7112)"),
    FRAGMENT_OVERLAP(11, true, "a fragment overlapping one received before (RFC 1858, 5722)"),
    FRAGMENT_OF_DROPPED(12, true, "a later fragment of a dropped datagram"),
    FRAGMENT_NO_FIRST(13, true, "a later fragment whose first fragment is unknown (fail-closed)"),
    FRAGMENT_TABLE_FULL(14, true, "a first fragment the full fragment table cannot remember (fail-closed)"),
    FRAGMENT_TOO_MANY_PIECES(15, true, "more separate pieces than a fragment entry tracks"),
    FRAGMENT_OVERSIZE(16, true, "a fragment ending beyond 65535 bytes or shorter than its own headers"),
    TRUNCATED(17, true, "an IP frame that ends inside a header"),
    MALFORMED(18, true, "IP version not matching the ethertype, or IPv4 ihl < 5"),
    EXT_LIMIT(19, true, "more IPv6 extension headers than the parser walks"),
    FRAGMENT_TABLE_FULL_PASSED(20, false, "fail-open: a first fragment passed that the full table could not remember"),
    FRAGMENT_NO_FIRST_PASSED(21, false, "fail-open: a later fragment passed with no first fragment known"),
    FRAGMENT_FOLLOW_PASSED(22, false, "a later fragment passed because its first fragment was"),
    FRAGMENTS_ADDED(23, false, "datagrams entered in the fragment table"),
    BUCKETS_ADDED(24, false, "rate-limit buckets created"),
    BANS_ADDED(25, false, "bans made"),
    BAN_TABLE_FULL(26, false, "bans the full ban table could not hold (the packet was dropped all the same)"),
    EVENTS_SENT(27, false, "drop samples submitted"),
    EVENTS_LOST(28, false, "drop samples the event channel had no room for"),
    SOURCES_FULL(29, false, "drops the dropped-source table could not record");

    /** {@code PL_GC_MAX}: slots of guard_counters. */
    public static final int SLOTS = 32;

    private final int slot;
    private final boolean drop;
    private final String description;

    DropReason(int slot, boolean drop, String description) {
        this.slot = slot;
        this.drop = drop;
        this.description = description;
    }

    public int slot() {
        return slot;
    }

    /** Whether this is the reason of a drop (each dropped packet has exactly one). */
    public boolean isDrop() {
        return drop;
    }

    public String description() {
        return description;
    }

    public static DropReason ofSlot(int slot) {
        for (DropReason r : values()) if (r.slot == slot) return r;
        throw new IllegalArgumentException("no guard counter slot " + slot);
    }
}
