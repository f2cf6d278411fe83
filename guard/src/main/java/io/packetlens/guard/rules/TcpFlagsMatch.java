package io.packetlens.guard.rules;

/**
 * A TCP flags condition: every flag of {@code set} is set and every flag of {@code unset} is clear
 * ({@code tcp-flags: {set: [syn], unset: [ack]}} is a connection attempt). Bits as in the TCP header's flags byte.
 */
public record TcpFlagsMatch(int set, int unset) {
    public static final int FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20, ECE = 0x40, CWR = 0x80;
    public static final String NAMES = "fin, syn, rst, psh, ack, urg, ece, cwr";

    public TcpFlagsMatch {
        if ((set & unset) != 0) throw new IllegalArgumentException("a flag cannot be both set and unset");
        if (((set | unset) & ~0xff) != 0) throw new IllegalArgumentException("TCP flags are one byte");
    }

    /** The kernel's test: {@code (flags & mask) == value}. */
    public int mask() {
        return set | unset;
    }

    public boolean matches(int flags) {
        return (flags & mask()) == set;
    }

    public static int bit(String name) {
        return switch (name.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "fin" -> FIN;
            case "syn" -> SYN;
            case "rst" -> RST;
            case "psh" -> PSH;
            case "ack" -> ACK;
            case "urg" -> URG;
            case "ece" -> ECE;
            case "cwr" -> CWR;
            default -> throw new IllegalArgumentException("expected a TCP flag (" + NAMES + "), got '" + name + "'");
        };
    }
}
