package io.packetlens.guard;

import io.packetlens.guard.rules.RateLimit;
import io.packetlens.guard.rules.RuleSet;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * A ruleset as the guard program's tables hold it (what {@link GuardCompiler} makes): kernel rules in evaluation order,
 * the source and destination prefix entries with their rule bitmaps, the any-source / any-destination bitmaps and the
 * limiters; written into one slot by {@link GuardProgram#install}.
 */
public record CompiledRuleSet(RuleSet source, List<KernelRule> rules, List<LpmEntry> sources, List<LpmEntry> destinations,
                              long[] sourceAny, long[] destinationAny, long[][] stateAccepts, List<Limiter> limiters, boolean defaultDeny,
                              boolean dryRun, long fragmentTimeoutNanos, boolean fragmentFailClosed) {

    /** Whether some rule has a {@code state:}: the kernel then tracks connections and judges by their state. */
    public boolean tracksConnections() {
        return source.rules().stream().anyMatch(r -> !r.states().isEmpty());
    }

    /** Kernel rule indices of YAML rule {@code yamlIndex} (in {@link RuleSet#rules()} order). */
    public int[] kernelRulesOf(int yamlIndex) {
        return java.util.stream.IntStream.range(0, rules.size()).filter(i -> rules.get(i).sourceRule() == yamlIndex).toArray();
    }

    /** {@code struct pl_guard_rule} (packetlens_guard.h). */
    public record KernelRule(int sportLo, int sportHi, int dportLo, int dportHi, int vlan, int sourceRule, int match, int action,
                             int proto, int limit, int icmpType, int icmpCode, int tcpMask, int tcpValue) {
        public void write(MemorySegment s, long off) {
            s.asSlice(off, GuardLayout.Rule.SIZE).fill((byte) 0);
            s.set(JAVA_SHORT_UNALIGNED, off + GuardLayout.Rule.SPORT_LO, (short) sportLo);
            s.set(JAVA_SHORT_UNALIGNED, off + GuardLayout.Rule.SPORT_HI, (short) sportHi);
            s.set(JAVA_SHORT_UNALIGNED, off + GuardLayout.Rule.DPORT_LO, (short) dportLo);
            s.set(JAVA_SHORT_UNALIGNED, off + GuardLayout.Rule.DPORT_HI, (short) dportHi);
            s.set(JAVA_SHORT_UNALIGNED, off + GuardLayout.Rule.VLAN, (short) vlan);
            s.set(JAVA_SHORT_UNALIGNED, off + GuardLayout.Rule.SOURCE_RULE, (short) sourceRule);
            s.set(JAVA_BYTE, off + GuardLayout.Rule.MATCH, (byte) match);
            s.set(JAVA_BYTE, off + GuardLayout.Rule.ACTION, (byte) action);
            s.set(JAVA_BYTE, off + GuardLayout.Rule.PROTO, (byte) proto);
            s.set(JAVA_BYTE, off + GuardLayout.Rule.LIMIT, (byte) limit);
            s.set(JAVA_BYTE, off + GuardLayout.Rule.ICMP_TYPE, (byte) icmpType);
            s.set(JAVA_BYTE, off + GuardLayout.Rule.ICMP_CODE, (byte) icmpCode);
            s.set(JAVA_BYTE, off + GuardLayout.Rule.TCP_MASK, (byte) tcpMask);
            s.set(JAVA_BYTE, off + GuardLayout.Rule.TCP_VALUE, (byte) tcpValue);
        }
    }

    /**
     * One prefix-trie entry: family 4 or 6, the prefix length in address bits, the address (IPv4 in the first four of
     * 16 bytes) and the bitmap of kernel rules whose prefix covers it.
     */
    public record LpmEntry(int family, int length, byte[] address, long[] bits) {
        /** {@code struct pl_guard_lpm_key} for this entry in {@code slot}. */
        public void writeKey(MemorySegment s, int slot) {
            s.fill((byte) 0);
            s.set(JAVA_INT_UNALIGNED, GuardLayout.LpmKey.PREFIXLEN, 16 + length);
            s.set(JAVA_BYTE, GuardLayout.LpmKey.SLOT, (byte) slot);
            s.set(JAVA_BYTE, GuardLayout.LpmKey.FAMILY, (byte) family);
            MemorySegment.copy(address, 0, s, JAVA_BYTE, GuardLayout.LpmKey.ADDR, 16);
        }

        public void writeValue(MemorySegment s) {
            for (int i = 0; i < GuardLayout.WORDS; i++) s.set(JAVA_LONG_UNALIGNED, i * 8L, bits[i]);
        }
    }

    /**
     * {@code struct pl_guard_limit}: a {@link RateLimit} as GCRA parameters.
     *
     * @param coarseClock whether the kernel may time this limit by the tick clock (bpf_ktime_get_coarse_ns, up to one
     *                    tick late, cheaper than the precise clock): when every window spans {@link #COARSE_TICKS} ticks
     *                    or more, so that the lateness costs at most one tick of a window's credit and the long-run
     *                    rate is exact. Shorter windows (high rates with small bursts) need the precise clock: with a
     *                    window under a tick, a late clock would cap the rate at a window's worth per tick.
     */
    public record Limiter(RateLimit limit, long pktIntervalNs, long pktWindowNs, long byteIntervalQ16, long byteWindowNs, long banNs,
                          int tag, boolean coarseClock) {
        /** Windows of at least this many ticks are timed by the tick clock. */
        public static final int COARSE_TICKS = 8;

        static Limiter of(RateLimit l, long tickNs) {
            long pi = l.packetsPerSecond() > 0 ? Math.max(1, 1_000_000_000L / l.packetsPerSecond()) : 0;
            long pw = pi * Math.max(1, l.burstPackets());
            long bq = l.bytesPerSecond() > 0 ? Math.max(1, (1_000_000_000L << 16) / l.bytesPerSecond()) : 0;
            long bw = l.bytesPerSecond() > 0 ? (long) (Math.max(1, l.burstBytes()) * (1e9 / l.bytesPerSecond())) : 0;
            long floor = COARSE_TICKS * tickNs;
            boolean coarse = tickNs > 0 && (pw == 0 || pw >= floor) && (bw == 0 || bw >= floor);
            return new Limiter(l, pi, pw, bq, bw, l.ban() == null ? 0 : l.ban().toNanos(), GuardCompiler.tag(l), coarse);
        }

        public void write(MemorySegment s, long off) {
            s.asSlice(off, GuardLayout.Limit.SIZE).fill((byte) 0);
            s.set(JAVA_LONG_UNALIGNED, off + GuardLayout.Limit.PKT_INTERVAL_NS, pktIntervalNs);
            s.set(JAVA_LONG_UNALIGNED, off + GuardLayout.Limit.PKT_WINDOW_NS, pktWindowNs);
            s.set(JAVA_LONG_UNALIGNED, off + GuardLayout.Limit.BYTE_INTERVAL_Q16, byteIntervalQ16);
            s.set(JAVA_LONG_UNALIGNED, off + GuardLayout.Limit.BYTE_WINDOW_NS, byteWindowNs);
            s.set(JAVA_LONG_UNALIGNED, off + GuardLayout.Limit.BAN_NS, banNs);
            s.set(JAVA_INT_UNALIGNED, off + GuardLayout.Limit.TAG, tag);
            s.set(JAVA_BYTE, off + GuardLayout.Limit.TRAFFIC, (byte) limit.traffic().ordinal());
            s.set(JAVA_BYTE, off + GuardLayout.Limit.PREFIX4, (byte) limit.prefixV4());
            s.set(JAVA_BYTE, off + GuardLayout.Limit.PREFIX6, (byte) limit.prefixV6());
            s.set(JAVA_BYTE, off + GuardLayout.Limit.COARSE_CLOCK, (byte) (coarseClock ? 1 : 0));
            byte[] m6 = mask(limit.prefixV6(), 16), m4 = mask(limit.prefixV4(), 4);
            MemorySegment.copy(m6, 0, s, JAVA_BYTE, off + GuardLayout.Limit.MASK6, 16);
            MemorySegment.copy(m4, 0, s, JAVA_BYTE, off + GuardLayout.Limit.MASK4, 4);
        }

        static byte[] mask(int bits, int bytes) {
            byte[] m = new byte[bytes];
            for (int b = 0; b < bits && b < bytes * 8; b++) m[b / 8] |= (byte) (0x80 >>> (b % 8));
            return m;
        }
    }
}
