package io.packetlens.packet;

/** IP protocol and IPv6 next-header numbers the builders and the parser know (IANA). */
public final class IpProtocol {
    public static final int HOPOPTS = 0;
    public static final int ICMP = 1;
    public static final int TCP = 6;
    public static final int UDP = 17;
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

    /** Whether {@code nextHeader} is an IPv6 extension header the parser walks. */
    public static boolean isIpv6Extension(int nextHeader) {
        return nextHeader == HOPOPTS || nextHeader == ROUTING || nextHeader == FRAGMENT || nextHeader == AH
                || nextHeader == DSTOPTS;
    }
}
