package io.packetlens.programs.filter;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A capture filter in a tcpdump-like syntax, limited to what the kernel program can check
 * through map lookups ({@code packetlens_filter.h}): terms of one kind are alternatives
 * (OR), and every kind present must match (AND).
 *
 * <pre>
 *   ip | ip6                                  address family
 *   tcp | udp | icmp | icmp6 | sctp | gre     protocol (also: proto N)
 *   [src|dst] host ADDR                       IPv4 or IPv6 address
 *   [src|dst] net ADDR/LEN                    CIDR prefix
 *   [src|dst] port N                          TCP, UDP or SCTP port
 * </pre>
 *
 * Words may be joined by {@code and}/{@code &&} (or nothing, which means and) and
 * {@code or}/{@code ||}. {@code or} may only join terms of the same kind, and {@code and}
 * only terms of different kinds; anything else ({@code not}, parentheses, {@code tcp or
 * port 80}) is refused with a message rather than silently matching something else.
 * Examples: {@code udp port 53}, {@code tcp port 80 or port 443},
 * {@code src net 10.0.0.0/8 and dst port 22}, {@code ip6 and icmp6}.
 */
public final class CaptureFilter {
    /** Protocol names accepted as terms, with their IP protocol numbers. */
    public static final Map<String, Integer> PROTOCOLS = Map.of("tcp", 6, "udp", 17, "icmp", 1, "icmp6", 58, "sctp", 132, "gre", 47);

    private static final CaptureFilter ALL = new CaptureFilter(Set.of(), Set.of(), List.of(), List.of());

    private final Set<Integer> families;
    private final Set<Integer> protocols;
    private final List<AddressTerm> addresses;
    private final List<PortTerm> ports;

    private CaptureFilter(Set<Integer> families, Set<Integer> protocols, List<AddressTerm> addresses, List<PortTerm> ports) {
        this.families = Collections.unmodifiableSet(new TreeSet<>(families));
        this.protocols = Collections.unmodifiableSet(new TreeSet<>(protocols));
        this.addresses = List.copyOf(addresses);
        this.ports = List.copyOf(ports);
    }

    /** The empty filter: every frame matches. */
    public static CaptureFilter all() {
        return ALL;
    }

    /** Parses words as given on a command line ({@code "udp", "port", "53"}) or one string per word group. */
    public static CaptureFilter parse(List<String> words) {
        List<String> tokens = new ArrayList<>();
        for (String w : words) {
            for (String t : w.trim().split("\\s+")) if (!t.isEmpty()) tokens.add(t);
        }
        return new Parser(tokens).parse();
    }

    public static CaptureFilter parse(String expression) {
        return parse(List.of(expression));
    }

    /** IP versions allowed (4, 6); empty = any. */
    public Set<Integer> families() {
        return families;
    }

    /** IP protocol numbers allowed; empty = any. */
    public Set<Integer> protocols() {
        return protocols;
    }

    public List<AddressTerm> addresses() {
        return addresses;
    }

    public List<PortTerm> ports() {
        return ports;
    }

    public boolean matchesEverything() {
        return families.isEmpty() && protocols.isEmpty() && addresses.isEmpty() && ports.isEmpty();
    }

    /** The filter in canonical form: kinds joined by and, alternatives by or. */
    @Override
    public String toString() {
        if (matchesEverything()) return "(all frames)";
        List<String> groups = new ArrayList<>();
        if (!families.isEmpty()) groups.add(String.join(" or ", families.stream().map(f -> f == 4 ? "ip" : "ip6").toList()));
        if (!protocols.isEmpty()) groups.add(String.join(" or ", protocols.stream().map(CaptureFilter::protocolName).toList()));
        for (Direction d : Direction.values()) {
            List<String> a = addresses.stream().filter(t -> t.direction() == d).map(AddressTerm::toString).toList();
            if (!a.isEmpty()) groups.add(String.join(" or ", a));
        }
        for (Direction d : Direction.values()) {
            List<String> p = ports.stream().filter(t -> t.direction() == d).map(PortTerm::toString).toList();
            if (!p.isEmpty()) groups.add(String.join(" or ", p));
        }
        return String.join(" and ", groups);
    }

    static String protocolName(int p) {
        return PROTOCOLS.entrySet().stream().filter(e -> e.getValue() == p).map(Map.Entry::getKey).findFirst().orElse("proto " + p);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CaptureFilter f && f.families.equals(families) && f.protocols.equals(protocols)
                && new LinkedHashSet<>(f.addresses).equals(new LinkedHashSet<>(addresses)) && new LinkedHashSet<>(f.ports).equals(new LinkedHashSet<>(ports));
    }

    @Override
    public int hashCode() {
        return families.hashCode() ^ protocols.hashCode() ^ new LinkedHashSet<>(addresses).hashCode() ^ new LinkedHashSet<>(ports).hashCode();
    }

    /** Recursive-descent-free parser: a flat list of terms with connectors between them. */
    private static final class Parser {
        private final List<String> tokens;
        private int pos;
        private final Set<Integer> families = new LinkedHashSet<>();
        private final Set<Integer> protocols = new LinkedHashSet<>();
        private final List<AddressTerm> addresses = new ArrayList<>();
        private final List<PortTerm> ports = new ArrayList<>();

        Parser(List<String> tokens) {
            this.tokens = tokens;
        }

        CaptureFilter parse() {
            if (tokens.isEmpty()) return ALL;
            String prevKind = null;
            String prevText = null;
            String connector = null;
            while (pos < tokens.size()) {
                int start = pos;
                String kind = term();
                String text = String.join(" ", tokens.subList(start, pos));
                if (prevKind != null) {
                    boolean same = prevKind.equals(kind);
                    if (connector == null) connector = "and";
                    if (connector.equals("or") && !same) {
                        throw new FilterSyntaxException("'" + prevText + " or " + text + "': or can only join terms of the same kind "
                                + "(the kernel filter checks each kind with one map lookup); write separate captures, or drop one side");
                    }
                    if (connector.equals("and") && same) {
                        throw new FilterSyntaxException("'" + prevText + " and " + text + "': two " + kind + " terms joined by and "
                                + "cannot both hold for the map-based filter; did you mean or?");
                    }
                }
                prevKind = kind;
                prevText = text;
                connector = null;
                if (pos < tokens.size()) {
                    String c = tokens.get(pos).toLowerCase(Locale.ROOT);
                    if (c.equals("and") || c.equals("&&")) {
                        connector = "and";
                        pos++;
                    } else if (c.equals("or") || c.equals("||")) {
                        connector = "or";
                        pos++;
                    }
                    if (connector != null && pos == tokens.size()) throw new FilterSyntaxException("filter ends with '" + c + "'");
                }
            }
            return new CaptureFilter(families, protocols, addresses, ports);
        }

        private String next(String what) {
            if (pos >= tokens.size()) throw new FilterSyntaxException("filter ends where " + what + " was expected");
            return tokens.get(pos++);
        }

        /** Parses one term; returns its kind. */
        private String term() {
            String w = next("a term").toLowerCase(Locale.ROOT);
            switch (w) {
                case "not", "!", "(", ")" -> throw new FilterSyntaxException("'" + w + "' is not supported: the capture filter is "
                        + "a set of map entries (protocol, host, net, port terms), not a BPF expression");
                case "ip" -> {
                    families.add(4);
                    return "family";
                }
                case "ip6" -> {
                    families.add(6);
                    return "family";
                }
                case "proto" -> {
                    String n = next("a protocol number or name after 'proto'");
                    Integer p = PROTOCOLS.get(n.toLowerCase(Locale.ROOT));
                    protocols.add(p != null ? p : number(n, 0, 255, "protocol"));
                    return "protocol";
                }
                default -> {
                    Integer p = PROTOCOLS.get(w);
                    if (p != null) {
                        protocols.add(p);
                        return "protocol";
                    }
                }
            }
            Direction dir = Direction.ANY;
            if (w.equals("src") || w.equals("dst")) {
                dir = w.equals("src") ? Direction.SRC : Direction.DST;
                w = next("host, net or port after '" + w + "'").toLowerCase(Locale.ROOT);
            }
            String d = dir == Direction.ANY ? "" : dir.name().toLowerCase(Locale.ROOT) + " ";
            switch (w) {
                case "host" -> {
                    byte[] a = address(next("an address after 'host'"));
                    addresses.add(new AddressTerm(dir, a, a.length * 8));
                    return d + "address";
                }
                case "net" -> {
                    String cidr = next("ADDR/LEN after 'net'");
                    int slash = cidr.indexOf('/');
                    byte[] a = address(slash < 0 ? cidr : cidr.substring(0, slash));
                    int len = slash < 0 ? a.length * 8 : number(cidr.substring(slash + 1), 0, a.length * 8, "prefix length");
                    addresses.add(new AddressTerm(dir, a, len));
                    return d + "address";
                }
                case "port" -> {
                    ports.add(new PortTerm(dir, number(next("a port number after 'port'"), 0, 65535, "port")));
                    return d + "port";
                }
                default -> throw new FilterSyntaxException("unknown filter word '" + w + "' (expected ip, ip6, tcp, udp, icmp, icmp6, sctp, gre, "
                        + "proto N, [src|dst] host ADDR, [src|dst] net ADDR/LEN, [src|dst] port N)");
            }
        }

        private static int number(String s, int min, int max, String what) {
            try {
                int v = Integer.parseInt(s);
                if (v < min || v > max) throw new FilterSyntaxException(what + " " + v + " out of range " + min + ".." + max);
                return v;
            } catch (NumberFormatException e) {
                throw new FilterSyntaxException("'" + s + "' is not a " + what);
            }
        }

        private static byte[] address(String s) {
            try {
                InetAddress a = InetAddress.ofLiteral(s);
                return a.getAddress();
            } catch (IllegalArgumentException e) {
                throw new FilterSyntaxException("'" + s + "' is not an IPv4 or IPv6 address (names are not resolved)");
            }
        }
    }
}
