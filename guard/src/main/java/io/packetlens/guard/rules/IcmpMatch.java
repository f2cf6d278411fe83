package io.packetlens.guard.rules;

/** ICMP or ICMPv6 type and, optionally, code ({@code -1}: any code). */
public record IcmpMatch(int type, int code) {
    public IcmpMatch {
        if (type < 0 || type > 255) throw new IllegalArgumentException("ICMP type is 0..255, got " + type);
        if (code < -1 || code > 255) throw new IllegalArgumentException("ICMP code is 0..255, got " + code);
    }
}
