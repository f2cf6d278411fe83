package io.packetlens.flow;

/** Bits of the TCP flags byte (offset 13 of the TCP header) as {@code struct pl_flow_stats.tcp_flags} ORs them. */
public final class TcpFlags {
    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    private static final String[] NAMES = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};

    private TcpFlags() {}

    /** The set flags as names joined by '|', e.g. {@code SYN|ACK}; empty for none. */
    public static String toString(int flags) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < NAMES.length; i++) {
            if ((flags & (1 << i)) != 0) {
                if (!b.isEmpty()) b.append('|');
                b.append(NAMES[i]);
            }
        }
        return b.toString();
    }
}
