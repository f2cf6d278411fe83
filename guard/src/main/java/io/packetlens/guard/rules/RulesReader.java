package io.packetlens.guard.rules;

import io.packetlens.config.ConfigDocument;
import io.packetlens.config.ConfigException;
import io.packetlens.config.ConfigNode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Reads a guard rules file (YAML; docs/guard.example.yaml) into a {@link RuleSet}. Every key and value is checked; an
 * error names the key path and its line, so that a bad file can be refused while the rules in force stay.
 */
public final class RulesReader {
    static final Set<String> TOP = Set.of("default", "dry-run", "fragments", "rate-limits", "rules");
    static final Set<String> RULE = Set.of("name", "priority", "action", "source", "destination", "protocol",
            "source-port", "destination-port", "icmp", "tcp-flags", "vlan", "state", "limit");

    private RulesReader() {}

    public static RuleSet read(Path file) {
        return read(ConfigDocument.read(file).root());
    }

    public static RuleSet parse(String yaml) {
        return read(ConfigDocument.parse(yaml).root());
    }

    /** Reads a ruleset from a node: a whole rules file, or the {@code guard.rules} section of an agent configuration. */
    public static RuleSet read(ConfigNode top) {
        if (top.isNull()) return RuleSet.allowAll();
        top.allow(TOP, Map.of());
        Action def = top.optional("default", n -> n.oneOf(Action.class), Action.ALLOW);
        if (def != Action.ALLOW && def != Action.DENY) throw top.error("default", "expected allow or deny, got '" + top.child("default").string() + "'");
        boolean dry = top.optional("dry-run", ConfigNode::bool, false);
        FragmentPolicy frags = top.optional("fragments", RulesReader::fragments, FragmentPolicy.DEFAULT);
        Map<String, RateLimit> limits = top.optional("rate-limits", RulesReader::limits, Map.of());
        List<Rule> rules = new ArrayList<>();
        if (top.has("rules")) {
            Set<String> names = new HashSet<>();
            int i = 0;
            for (ConfigNode n : top.child("rules").list(false)) {
                Rule r = rule(n, i++, limits);
                if (!names.add(r.name())) throw n.error("name", "a second rule named '" + r.name() + "': names must be distinct");
                rules.add(r);
            }
        }
        return new RuleSet(rules, def, limits, frags, dry);
    }

    private static FragmentPolicy fragments(ConfigNode n) {
        n.allow("table-size", "timeout", "when-full");
        FragmentPolicy d = FragmentPolicy.DEFAULT;
        int size = (int) n.optional("table-size", x -> x.integer(16, 1 << 24), (long) d.tableSize()).longValue();
        Duration timeout = n.optional("timeout", ConfigNode::duration, d.timeout());
        boolean closed = d.failClosed();
        if (n.has("when-full")) {
            String w = n.child("when-full").string();
            if (!w.equals("fail-closed") && !w.equals("fail-open")) throw n.error("when-full", "expected fail-closed or fail-open, got '" + w + "'");
            closed = w.equals("fail-closed");
        }
        return new FragmentPolicy(size, timeout, closed);
    }

    private static Map<String, RateLimit> limits(ConfigNode n) {
        if (!n.isMapping()) throw n.error("expected a mapping of limiter names to their settings, got " + n.kind());
        Map<String, RateLimit> out = new LinkedHashMap<>();
        for (var it = n.json().fieldNames(); it.hasNext(); ) {
            String name = it.next();
            ConfigNode l = n.child(name);
            if (!name.matches("[a-z0-9][a-z0-9_-]{0,31}")) throw l.error("a limiter name is 1..32 lower-case letters, digits, '-' or '_'");
            l.allow("per", "prefix-v4", "prefix-v6", "packets-per-second", "burst", "bytes-per-second", "burst-bytes", "traffic", "ban");
            String per = l.optional("per", ConfigNode::string, "source");
            if (!per.equals("source") && !per.equals("prefix")) throw l.error("per", "expected source or prefix, got '" + per + "'");
            int v4 = per.equals("prefix") ? (int) l.optional("prefix-v4", x -> x.integer(1, 32), 24L).longValue() : 32;
            int v6 = per.equals("prefix") ? (int) l.optional("prefix-v6", x -> x.integer(1, 128), 64L).longValue() : 128;
            if (!per.equals("prefix") && (l.has("prefix-v4") || l.has("prefix-v6"))) throw l.error("per", "prefix-v4 and prefix-v6 need per: prefix");
            long pps = l.optional("packets-per-second", x -> x.integer(1, 1L << 40), 0L);
            long bps = l.optional("bytes-per-second", x -> x.size(1), 0L);
            if (pps == 0 && bps == 0) throw l.error("required: packets-per-second or bytes-per-second");
            long burst = l.optional("burst", x -> x.integer(1, 1L << 40), Math.max(pps, 1));
            long burstBytes = l.optional("burst-bytes", x -> x.size(1), Math.max(bps, 1));
            RateLimit.Traffic traffic = l.optional("traffic", x -> x.oneOf(RateLimit.Traffic.class), RateLimit.Traffic.ALL);
            Duration ban = l.optional("ban", ConfigNode::duration, null);
            out.put(name, new RateLimit(name, pps, burst, bps, burstBytes, traffic, v4, v6, ban));
        }
        return out;
    }

    private static Rule rule(ConfigNode n, int index, Map<String, RateLimit> limits) {
        if (!n.isMapping()) throw n.error("expected a rule (a mapping with action and what it matches), got " + n.kind());
        n.allow(RULE, Map.of());
        String name = n.optional("name", ConfigNode::string, "rule-" + (index + 1));
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) throw n.error("name", "a rule name is 1..63 letters, digits, '-', '_' or '.'");
        int priority = (int) n.optional("priority", x -> x.integer(0, 1_000_000), (long) (index + 1) * 10).longValue();
        Action action = n.required("action", "one of " + String.join(", ", ConfigNode.names(Action.class))).oneOf(Action.class);
        List<Cidr> src = n.optional("source", RulesReader::cidrs, List.of());
        List<Cidr> dst = n.optional("destination", RulesReader::cidrs, List.of());
        Set<Integer> protos = n.optional("protocol", RulesReader::protocols, Set.of());
        List<PortRange> sports = n.optional("source-port", RulesReader::ports, List.of());
        List<PortRange> dports = n.optional("destination-port", RulesReader::ports, List.of());
        if (!sports.isEmpty() || !dports.isEmpty()) {
            if (protos.isEmpty()) throw n.error(n.has("source-port") ? "source-port" : "destination-port", "ports need protocol: tcp, udp or sctp");
            for (int p : protos) {
                if (p != 6 && p != 17 && p != 132) throw n.error("protocol", "ports are for tcp, udp or sctp; protocol " + p + " has none");
            }
        }
        IcmpMatch icmp = n.optional("icmp", RulesReader::icmp, null);
        if (icmp != null && (protos.isEmpty() || !protos.stream().allMatch(p -> p == 1 || p == 58))) {
            throw n.error("icmp", "needs protocol: icmp or icmpv6");
        }
        TcpFlagsMatch flags = n.optional("tcp-flags", RulesReader::tcpFlags, null);
        if (flags != null && !protos.equals(Set.of(6))) throw n.error("tcp-flags", "needs protocol: tcp");
        int vlan = (int) n.optional("vlan", x -> x.integer(0, 4094), -1L).longValue();
        Set<ConnectionState> states = n.optional("state", RulesReader::states, Set.of());
        String limit = n.optional("limit", ConfigNode::string, null);
        if (action == Action.RATE_LIMIT) {
            if (limit == null) throw n.error("limit", "required with action rate-limit: the name of a limiter under rate-limits");
            if (!limits.containsKey(limit)) {
                throw n.error("limit", "no limiter named '" + limit + "' under rate-limits (there are: " + String.join(", ", new TreeSet<>(limits.keySet())) + ")");
            }
        } else if (limit != null) {
            throw n.error("limit", "only for action rate-limit");
        }
        boolean v4 = src.stream().anyMatch(Cidr::isIpv4) || dst.stream().anyMatch(Cidr::isIpv4);
        boolean v6 = src.stream().anyMatch(c -> !c.isIpv4()) || dst.stream().anyMatch(c -> !c.isIpv4());
        if (!src.isEmpty() && !dst.isEmpty() && !(src.stream().anyMatch(Cidr::isIpv4) && dst.stream().anyMatch(Cidr::isIpv4))
                && !(src.stream().anyMatch(c -> !c.isIpv4()) && dst.stream().anyMatch(c -> !c.isIpv4()))) {
            throw n.error("destination", "source and destination have no address family in common: the rule could never match");
        }
        if (protos.contains(1) && v6 && !v4) throw n.error("protocol", "icmp is IPv4's; IPv6 uses icmpv6");
        if (protos.contains(58) && v4 && !v6) throw n.error("protocol", "icmpv6 is IPv6's; IPv4 uses icmp");
        return new Rule(name, priority, action, src, dst, protos, sports, dports, icmp, flags, vlan, states, limit, n.line());
    }

    private static <T> List<T> each(ConfigNode n, Function<String, T> parse) {
        List<T> out = new ArrayList<>();
        for (ConfigNode x : n.list(true)) {
            String text = x.json().isNumber() ? x.json().asText() : x.string();
            try {
                out.add(parse.apply(text));
            } catch (IllegalArgumentException e) {
                throw x.error(e.getMessage());
            }
        }
        if (out.isEmpty()) throw n.error("an empty list matches nothing: leave the key out to match any");
        return out;
    }

    private static List<Cidr> cidrs(ConfigNode n) {
        return each(n, Cidr::parse);
    }

    private static List<PortRange> ports(ConfigNode n) {
        return each(n, PortRange::parse);
    }

    private static Set<ConnectionState> states(ConfigNode n) {
        return java.util.EnumSet.copyOf(each(n, RulesReader::state));
    }

    static ConnectionState state(String text) {
        try {
            return ConnectionState.valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected new, established, related or invalid, got '" + text + "'");
        }
    }

    private static Set<Integer> protocols(ConfigNode n) {
        return new java.util.TreeSet<>(each(n, RulesReader::protocol));
    }

    static int protocol(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "tcp" -> 6;
            case "udp" -> 17;
            case "sctp" -> 132;
            case "icmp" -> 1;
            case "icmpv6", "icmp6", "ipv6-icmp" -> 58;
            case "gre" -> 47;
            case "esp" -> 50;
            case "ah" -> 51;
            default -> {
                try {
                    int p = Integer.parseInt(text.trim());
                    if (p < 0 || p > 255) throw new NumberFormatException();
                    yield p;
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("expected tcp, udp, sctp, icmp, icmpv6, gre, esp, ah or a number 0..255, got '" + text + "'");
                }
            }
        };
    }

    private static IcmpMatch icmp(ConfigNode n) {
        n.allow("type", "code");
        int type = (int) n.required("type", "the ICMP type, 0..255").integer(0, 255);
        int code = (int) n.optional("code", x -> x.integer(0, 255), -1L).longValue();
        return new IcmpMatch(type, code);
    }

    private static TcpFlagsMatch tcpFlags(ConfigNode n) {
        n.allow("set", "unset");
        int set = n.optional("set", RulesReader::flagBits, 0);
        int unset = n.optional("unset", RulesReader::flagBits, 0);
        if (set == 0 && unset == 0) throw n.error("give set, unset or both");
        if ((set & unset) != 0) throw n.error("unset", "a flag cannot be both set and unset");
        return new TcpFlagsMatch(set, unset);
    }

    private static int flagBits(ConfigNode n) {
        int bits = 0;
        for (int b : each(n, TcpFlagsMatch::bit)) bits |= b;
        return bits;
    }

    /** For callers that must not throw: the message of a refused file, or null when it reads. */
    public static String problem(Path file) {
        try {
            read(file);
            return null;
        } catch (ConfigException e) {
            return e.getMessage();
        }
    }
}
