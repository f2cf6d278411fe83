package io.packetlens.guard;

import io.packetlens.ebpf.sys.Clocks;
import io.packetlens.guard.rules.Action;
import io.packetlens.guard.rules.Cidr;
import io.packetlens.guard.rules.ConnectionState;
import io.packetlens.guard.rules.PortRange;
import io.packetlens.guard.rules.RateLimit;
import io.packetlens.guard.rules.Rule;
import io.packetlens.guard.rules.RuleSet;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compiles a {@link RuleSet} into the guard program's tables ({@link CompiledRuleSet}): YAML rules expanded into kernel
 * rules in priority order (one per protocol, source port range and destination port range; overlapping ranges merged
 * first so that a packet matches at most one kernel rule of a YAML rule), the prefix tries with each prefix's bitmap
 * holding the rules of every shorter prefix that covers it, the bitmaps of rules without a source or destination
 * prefix, and the limiters as GCRA parameters. Refuses what the kernel cannot hold, naming the rule.
 */
public final class GuardCompiler {
    private GuardCompiler() {}

    /** Compiles for this kernel's tick, or throws {@link GuardCompileException} naming what does not fit. */
    public static CompiledRuleSet compile(RuleSet set) {
        return compile(set, Clocks.resolution(Clocks.CLOCK_MONOTONIC_COARSE));
    }

    /**
     * Compiles, or throws {@link GuardCompileException} naming what does not fit.
     *
     * @param tickNs the kernel's tick (the coarse clock's resolution), which decides the clock each limiter reads
     */
    public static CompiledRuleSet compile(RuleSet set, long tickNs) {
        Map<String, Integer> limitIndex = new LinkedHashMap<>();
        List<CompiledRuleSet.Limiter> limiters = new ArrayList<>();
        for (String name : new java.util.TreeSet<>(set.limits().keySet())) {
            if (limiters.size() == GuardLayout.MAX_LIMITS) {
                throw new GuardCompileException("the ruleset has " + set.limits().size() + " rate limiters; the kernel holds at most "
                        + GuardLayout.MAX_LIMITS + " per ruleset");
            }
            limitIndex.put(name, limiters.size());
            limiters.add(CompiledRuleSet.Limiter.of(set.limits().get(name), tickNs));
        }
        List<CompiledRuleSet.KernelRule> rules = new ArrayList<>();
        Map<Prefix, long[]> src = new TreeMap<>(), dst = new TreeMap<>();
        long[] srcAny = new long[GuardLayout.WORDS], dstAny = new long[GuardLayout.WORDS];
        // per connection state (the kernel's verdict, 0 untracked), the rules that accept it
        long[][] stateAccepts = new long[GuardLayout.Set.STATES][GuardLayout.WORDS];
        List<Rule> yaml = set.rules();
        for (int y = 0; y < yaml.size(); y++) {
            Rule r = yaml.get(y);
            List<Integer> protos = r.protocols().isEmpty() ? List.of(-1) : new ArrayList<>(new java.util.TreeSet<>(r.protocols()));
            List<PortRange> sports = merge(r.sourcePorts()), dports = merge(r.destinationPorts());
            int first = rules.size();
            for (int proto : protos) {
                for (PortRange sp : sports.isEmpty() ? java.util.Collections.<PortRange>singletonList(null) : sports) {
                    for (PortRange dp : dports.isEmpty() ? java.util.Collections.<PortRange>singletonList(null) : dports) {
                        if (rules.size() == GuardLayout.MAX_RULES) {
                            throw new GuardCompileException("rule '" + r.name() + "'" + line(r) + " does not fit: the ruleset expands to more than "
                                    + GuardLayout.MAX_RULES + " kernel rules (one per protocol x source port range x destination port range"
                                    + " of each rule; " + first + " before this rule)");
                        }
                        rules.add(kernelRule(r, y, proto, sp, dp, r.action() == Action.RATE_LIMIT ? limitIndex.get(r.limit()) : 0));
                    }
                }
            }
            for (int k = first; k < rules.size(); k++) {
                if (r.sources().isEmpty()) set(srcAny, k);
                else for (Cidr c : r.sources()) set(src.computeIfAbsent(Prefix.of(c), p -> new long[GuardLayout.WORDS]), k);
                for (int v = 0; v < GuardLayout.Set.STATES; v++) {
                    ConnectionState st = ConnectionState.ofVerdict(v);
                    if (r.states().isEmpty() || st != null && r.states().contains(st)) set(stateAccepts[v], k);
                }
                if (r.destinations().isEmpty()) set(dstAny, k);
                else for (Cidr c : r.destinations()) set(dst.computeIfAbsent(Prefix.of(c), p -> new long[GuardLayout.WORDS]), k);
            }
        }
        var f = set.fragments();
        return new CompiledRuleSet(set, rules, cover(src), cover(dst), srcAny, dstAny, stateAccepts, limiters,
                set.defaultAction() == Action.DENY, set.dryRun(), f.timeout().toNanos(), f.failClosed());
    }

    private static String line(Rule r) {
        return r.line() > 0 ? " (line " + r.line() + ")" : "";
    }

    private static CompiledRuleSet.KernelRule kernelRule(Rule r, int yamlIndex, int proto, PortRange sp, PortRange dp, int limit) {
        int match = 0;
        if (proto >= 0) match |= GuardLayout.M_PROTO;
        if (sp != null) match |= GuardLayout.M_SPORT;
        if (dp != null) match |= GuardLayout.M_DPORT;
        int type = 0, code = 0;
        if (r.icmp() != null) {
            match |= GuardLayout.M_ICMP_TYPE;
            type = r.icmp().type();
            if (r.icmp().code() >= 0) {
                match |= GuardLayout.M_ICMP_CODE;
                code = r.icmp().code();
            }
        }
        int mask = 0, value = 0;
        if (r.tcpFlags() != null) {
            match |= GuardLayout.M_TCP_FLAGS;
            mask = r.tcpFlags().mask();
            value = r.tcpFlags().set();
        }
        if (r.vlan() >= 0) match |= GuardLayout.M_VLAN;
        return new CompiledRuleSet.KernelRule(sp == null ? 0 : sp.low(), sp == null ? 0 : sp.high(), dp == null ? 0 : dp.low(),
                dp == null ? 0 : dp.high(), Math.max(r.vlan(), 0), yamlIndex, match, r.action().ordinal(), Math.max(proto, 0), limit,
                type, code, mask, value);
    }

    /** Sorted, with overlapping and adjacent ranges joined. */
    static List<PortRange> merge(List<PortRange> in) {
        List<PortRange> sorted = new ArrayList<>(in);
        sorted.sort(Comparator.comparingInt(PortRange::low));
        List<PortRange> out = new ArrayList<>();
        for (PortRange p : sorted) {
            if (!out.isEmpty() && p.low() <= out.getLast().high() + 1) {
                PortRange last = out.removeLast();
                out.add(new PortRange(last.low(), Math.max(last.high(), p.high())));
            } else {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * Each prefix's bitmap ORed with those of every shorter prefix of its family that covers it. A covering prefix is
     * the prefix's own address cut to a shorter length, so each is looked up rather than searched for: the prefix
     * count times the distinct lengths (at most 129), not the prefix count squared (100,000-entry blocklists).
     */
    private static List<CompiledRuleSet.LpmEntry> cover(Map<Prefix, long[]> prefixes) {
        java.util.NavigableMap<Prefix, long[]> sorted = prefixes instanceof java.util.NavigableMap<Prefix, long[]> n ? n : new java.util.TreeMap<>(prefixes);
        Map<Integer, java.util.TreeSet<Integer>> lengths = new java.util.HashMap<>();
        for (Prefix p : sorted.keySet()) lengths.computeIfAbsent(p.family(), f -> new java.util.TreeSet<>()).add(p.length());
        List<CompiledRuleSet.LpmEntry> out = new ArrayList<>(sorted.size());
        for (var e : sorted.entrySet()) {
            Prefix p = e.getKey();
            long[] bits = e.getValue().clone();
            for (int len : lengths.get(p.family()).headSet(p.length(), false)) {
                long[] o = sorted.get(new Prefix(p.family(), len, masked(p.address(), len)));
                if (o != null) for (int i = 0; i < bits.length; i++) bits[i] |= o[i];
            }
            out.add(new CompiledRuleSet.LpmEntry(p.family(), p.length(), p.address(), bits));
        }
        return out;
    }

    /** The address with every bit from {@code length} on cleared. */
    private static byte[] masked(byte[] address, int length) {
        byte[] m = address.clone();
        for (int bit = length; bit < m.length * 8; bit++) m[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        return m;
    }

    static void set(long[] bits, int index) {
        bits[index >>> 6] |= 1L << (index & 63);
    }

    /** A prefix of one family; ordered by family, then length, then address. */
    record Prefix(int family, int length, byte[] address) implements Comparable<Prefix> {
        static Prefix of(Cidr c) {
            byte[] a = new byte[16];
            byte[] raw = c.address().getAddress();
            System.arraycopy(raw, 0, a, 0, raw.length);
            // host bits cleared, so that a prefix and the cut of a longer one compare equal
            return new Prefix(c.isIpv4() ? 4 : 6, c.prefix(), masked(a, c.prefix()));
        }

        boolean covers(Prefix o) {
            if (o.family != family || length > o.length) return false;
            for (int bit = 0; bit < length; bit++) {
                int m = 0x80 >>> (bit % 8);
                if ((address[bit / 8] & m) != (o.address[bit / 8] & m)) return false;
            }
            return true;
        }

        @Override
        public int compareTo(Prefix o) {
            if (family != o.family) return Integer.compare(family, o.family);
            if (length != o.length) return Integer.compare(length, o.length);
            return java.util.Arrays.compareUnsigned(address, o.address);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Prefix p && compareTo(p) == 0;
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(address) * 31 + length * 7 + family;
        }
    }

    /** The tag of a limiter's buckets: FNV-1a of its name, so buckets survive reloads that keep the name. */
    static int tag(RateLimit l) {
        int h = 0x811c9dc5;
        for (byte b : l.name().getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x01000193;
        }
        return h;
    }
}
