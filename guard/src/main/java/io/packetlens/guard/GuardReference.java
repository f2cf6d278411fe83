package io.packetlens.guard;

import io.packetlens.guard.rules.Action;
import io.packetlens.guard.rules.Cidr;
import io.packetlens.guard.rules.ConnectionState;
import io.packetlens.guard.rules.PortRange;
import io.packetlens.guard.rules.Rule;
import io.packetlens.guard.rules.RuleSet;
import io.packetlens.packet.IpProtocol;
import io.packetlens.packet.PacketParser;
import io.packetlens.packet.ParseStatus;
import io.packetlens.packet.ParsedPacket;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The guard program's judgement written again in plain Java, straight from the {@link RuleSet} (not from the compiled
 * tables), so that tests can compare the kernel's verdict, reason and rule counters with it frame by frame. It parses
 * with {@link PacketParser} (the kernel parser's twin) and keeps its own fragment table with the kernel's semantics.
 * It does not model time: rate limits are taken as not exceeded, fragment entries never expire, tables never fill,
 * and no source is banned; those are checked on the real kernel in the lab tests.
 */
public final class GuardReference {
    /**
     * What the guard does with one frame.
     *
     * @param drop    whether the verdict is drop (in a dry run the frame is passed all the same)
     * @param reason  the drop reason, {@link DropReason#PASSED} or {@link DropReason#NOT_IP}
     * @param rule    the YAML rule that decided, or null (default, fragment verdicts, parse drops)
     * @param counted the YAML rules whose counters count the frame (count rules passed on the way, and the deciding one)
     */
    public record Verdict(boolean drop, DropReason reason, String rule, List<String> counted) {}

    private final RuleSet rules;
    private final Map<FragKey, Frag> fragments = new HashMap<>();

    public GuardReference(RuleSet rules) {
        this.rules = rules;
    }

    /** Forgets every datagram (as a fresh kernel fragment table). */
    public void clearFragments() {
        fragments.clear();
    }

    public Verdict judge(byte[] frame) {
        return judge(frame, -1);
    }

    /** Judges a frame as the program at XDP ({@code hwVlan} -1) or TC (the tag the device took out) sees it. */
    public Verdict judge(byte[] frame, int hwVlan) {
        return judge(frame, hwVlan, null);
    }

    /**
     * Judges a frame that the connection tracker takes as {@code state} (null: untracked, which no state rule
     * matches), for rulesets with state rules.
     */
    public Verdict judge(byte[] frame, int hwVlan, ConnectionState state) {
        ParsedPacket p = PacketParser.parse(frame, frame.length, hwVlan);
        ParseStatus s = p.status();
        if (s == ParseStatus.NOT_IP || s == ParseStatus.TRUNCATED && p.ethertype() != 0x0800 && p.ethertype() != 0x86dd) {
            return new Verdict(false, DropReason.NOT_IP, null, List.of());
        }
        boolean first = p.fragment() && !p.laterFragment() && p.moreFragments();
        if (s == ParseStatus.TRUNCATED && first) {
            fragments.putIfAbsent(FragKey.of(p), Frag.dropped(DropReason.FRAGMENT_TINY));
            return drop(DropReason.FRAGMENT_TINY);
        }
        if (s == ParseStatus.TRUNCATED) return drop(DropReason.TRUNCATED);
        if (s == ParseStatus.MALFORMED) return drop(DropReason.MALFORMED);
        if (s == ParseStatus.EXT_LIMIT) return drop(DropReason.EXT_LIMIT);
        if (p.laterFragment()) return later(p);
        if (first && p.l4Offset() + l4Min(p) > p.l3Offset() + p.ipLength()) {
            fragments.putIfAbsent(FragKey.of(p), Frag.dropped(DropReason.FRAGMENT_TINY));
            return drop(DropReason.FRAGMENT_TINY);
        }
        Verdict v = evaluate(p, state);
        if (!first) return v;
        int n = p.l3Offset() + p.ipLength() - p.fragmentDataOffset();
        if (n < 0) return new Verdict(true, DropReason.FRAGMENT_OVERSIZE, v.rule(), v.counted());
        FragKey k = FragKey.of(p);
        Frag f = fragments.get(k);
        if (f == null) {
            Frag fresh = new Frag(v.drop(), v.reason());
            fresh.spans.add(new int[] {0, n});
            fragments.put(k, fresh);
            return v;
        }
        f.drop = true; // a second first fragment overlaps the first one
        f.reason = DropReason.FRAGMENT_OVERLAP;
        return new Verdict(true, DropReason.FRAGMENT_OVERLAP, v.rule(), v.counted());
    }

    private static Verdict drop(DropReason r) {
        return new Verdict(true, r, null, List.of());
    }

    private static int l4Min(ParsedPacket p) {
        return switch (p.protocol()) {
            case IpProtocol.TCP -> 20;
            case IpProtocol.UDP -> 8;
            case IpProtocol.SCTP -> 12;
            case IpProtocol.ICMP -> p.ipVersion() == 4 ? 4 : 0;
            case IpProtocol.ICMPV6 -> p.ipVersion() == 6 ? 4 : 0;
            default -> 0;
        };
    }

    private Verdict later(ParsedPacket p) {
        int n = p.l3Offset() + p.ipLength() - p.fragmentDataOffset();
        int lo = p.fragmentOffset(), hi = lo + Math.max(n, 0);
        if (n < 0 || hi > 65535) return drop(DropReason.FRAGMENT_OVERSIZE);
        FragKey k = FragKey.of(p);
        Frag f = fragments.get(k);
        if (f == null) {
            return rules.fragments().failClosed() ? drop(DropReason.FRAGMENT_NO_FIRST) : new Verdict(false, DropReason.PASSED, null, List.of());
        }
        DropReason bad = f.add(lo, hi);
        if (bad != null) {
            f.drop = true;
            f.reason = bad;
            return drop(bad);
        }
        if (!p.moreFragments()) {
            f.seenLast = true;
            f.total = hi;
        }
        if (f.seenLast && f.spans.size() == 1 && f.spans.getFirst()[0] == 0 && f.spans.getFirst()[1] == f.total) fragments.remove(k);
        return f.drop ? drop(DropReason.FRAGMENT_OF_DROPPED) : new Verdict(false, DropReason.PASSED, null, List.of());
    }

    private Verdict evaluate(ParsedPacket p, ConnectionState state) {
        List<String> counted = new ArrayList<>();
        for (Rule r : rules.rules()) {
            if (!matches(r, p) || !r.states().isEmpty() && (state == null || !r.states().contains(state))) continue;
            counted.add(r.name());
            if (r.action() == Action.COUNT) continue;
            if (r.action() == Action.DENY) return new Verdict(true, DropReason.RULE, r.name(), counted);
            return new Verdict(false, DropReason.PASSED, r.name(), counted); // allow, or within its rate limit
        }
        boolean deny = rules.defaultAction() == Action.DENY;
        return new Verdict(deny, deny ? DropReason.DEFAULT : DropReason.PASSED, null, counted);
    }

    /** Whether rule {@code r} matches a parsed, unfragmented or first-fragment packet. */
    public static boolean matches(Rule r, ParsedPacket p) {
        if (!r.sources().isEmpty() && r.sources().stream().noneMatch(c -> covers(c, p.source()))) return false;
        if (!r.destinations().isEmpty() && r.destinations().stream().noneMatch(c -> covers(c, p.destination()))) return false;
        if (!r.protocols().isEmpty() && !r.protocols().contains(p.protocol())) return false;
        boolean ports = p.ok() && (p.protocol() == IpProtocol.TCP || p.protocol() == IpProtocol.UDP || p.protocol() == IpProtocol.SCTP);
        if (!r.sourcePorts().isEmpty() && (!ports || r.sourcePorts().stream().noneMatch(x -> x.contains(p.sourcePort())))) return false;
        if (!r.destinationPorts().isEmpty() && (!ports || r.destinationPorts().stream().noneMatch((PortRange x) -> x.contains(p.destinationPort())))) {
            return false;
        }
        if (r.icmp() != null) {
            boolean icmp = p.ok() && (p.ipVersion() == 4 ? p.protocol() == IpProtocol.ICMP : p.protocol() == IpProtocol.ICMPV6);
            if (!icmp || p.destinationPort() >> 8 != r.icmp().type()) return false;
            if (r.icmp().code() >= 0 && (p.destinationPort() & 0xff) != r.icmp().code()) return false;
        }
        if (r.tcpFlags() != null && !(p.ok() && p.protocol() == IpProtocol.TCP && r.tcpFlags().matches(p.tcpFlags()))) return false;
        return r.vlan() < 0 || p.vlan() == r.vlan();
    }

    private static boolean covers(Cidr c, InetAddress a) {
        return a != null && (a instanceof Inet4Address) == c.isIpv4() && c.contains(a);
    }

    private record FragKey(byte[] src, byte[] dst, long id, int family, int proto) {
        static FragKey of(ParsedPacket p) {
            return new FragKey(p.source().getAddress(), p.destination().getAddress(), p.fragmentId(), p.ipVersion(), p.protocol());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof FragKey k && Arrays.equals(src, k.src) && Arrays.equals(dst, k.dst) && id == k.id && family == k.family
                    && proto == k.proto;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(src) * 31 + Arrays.hashCode(dst) + (int) id * 7 + proto;
        }
    }

    private static final class Frag {
        boolean drop;
        DropReason reason;
        boolean seenLast;
        int total;
        final List<int[]> spans = new ArrayList<>();

        Frag(boolean drop, DropReason reason) {
            this.drop = drop;
            this.reason = reason;
        }

        static Frag dropped(DropReason r) {
            return new Frag(true, r);
        }

        /** The kernel's pl_frag_add: overlap, merge with a touching span, or a new span (at most FRAG_SPANS). */
        DropReason add(int lo, int hi) {
            for (int[] s : spans) if (lo < s[1] && s[0] < hi) return DropReason.FRAGMENT_OVERLAP;
            for (int[] s : spans) {
                if (hi == s[0]) {
                    s[0] = lo;
                    return null;
                }
                if (lo == s[1]) {
                    s[1] = hi;
                    return null;
                }
            }
            if (spans.size() >= GuardLayout.FRAG_SPANS) return DropReason.FRAGMENT_TOO_MANY_PIECES;
            spans.add(new int[] {lo, hi});
            return null;
        }
    }
}
