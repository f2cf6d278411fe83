package io.packetlens.packet;

/** IP protocol and IPv6 next-header numbers the builders and the parser know (IANA). */
public final class IpProtocol {
    public static final int HOPOPTS = 0;
    public static final int ICMP = 1;
    /** IPv4 in IP. */
    public static final int IPIP = 4;
    public static final int TCP = 6;
    public static final int UDP = 17;
    /** IPv6 in IP. */
    public static final int IPV6 = 41;
    public static final int ROUTING = 43;
    public static final int FRAGMENT = 44;
    public static final int GRE = 47;
    public static final int ESP = 50;
    public static final int AH = 51;
    public static final int ICMPV6 = 58;
    public static final int NO_NEXT_HEADER = 59;
    public static final int DSTOPTS = 60;
    public static final int SCTP = 132;

    private IpProtocol() {}

    /** A short lower-case name ({@code tcp}, {@code icmp6} ...) or the number. */
    public static String name(int protocol) {
        return switch (protocol) {
            case ICMP -> "icmp";
            case IPIP -> "ipip";
            case IPV6 -> "ipv6";
            case TCP -> "tcp";
            case UDP -> "udp";
            case GRE -> "gre";
            case ESP -> "esp";
            case AH -> "ah";
            case ICMPV6 -> "icmp6";
            case NO_NEXT_HEADER -> "ipv6-nonxt";
            case SCTP -> "sctp";
            default -> Integer.toString(protocol);
        };
    }

    /** Whether the parser reads ports (TCP, UDP, SCTP) for this protocol. */
    public static boolean hasPorts(int protocol) {
        return protocol == TCP || protocol == UDP || protocol == SCTP;
    }

    /** Whether {@code nextHeader} is an IPv6 extension header the parser walks. */
    public static boolean isIpv6Extension(int nextHeader) {
        return nextHeader == HOPOPTS || nextHeader == ROUTING || nextHeader == FRAGMENT || nextHeader == AH
                || nextHeader == DSTOPTS;
    }
}
