package io.packetlens.guard.rules;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;

/** An address prefix such as {@code 10.0.0.0/8} or {@code 2001:db8::/32}; host bits are zero. */
public record Cidr(InetAddress address, int prefix) {
    public Cidr {
        int max = address instanceof Inet4Address ? 32 : 128;
        if (prefix < 0 || prefix > max) throw new IllegalArgumentException("prefix length must be 0.." + max + ", got " + prefix);
        byte[] b = address.getAddress();
        for (int bit = prefix; bit < b.length * 8; bit++) {
            if ((b[bit / 8] & (0x80 >>> (bit % 8))) != 0) {
                throw new IllegalArgumentException(text(address, prefix) + " has host bits set (the network is " + masked(address, prefix) + ")");
            }
        }
    }

    /** Parses {@code a.b.c.d/n}, {@code x::y/n}, or a single address (a /32 or /128). */
    public static Cidr parse(String text) {
        String t = text.trim();
        int slash = t.indexOf('/');
        String addr = slash < 0 ? t : t.substring(0, slash);
        InetAddress a;
        try {
            a = InetAddress.ofLiteral(addr);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an IPv4 or IPv6 address: '" + addr + "'");
        }
        int max = a instanceof Inet4Address ? 32 : 128;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(t.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a prefix length: '" + t.substring(slash + 1) + "'");
            }
        }
        return new Cidr(a, prefix);
    }

    public boolean isIpv4() {
        return address instanceof Inet4Address;
    }

    /** Whether {@code a} (same family) is inside this prefix. */
    public boolean contains(InetAddress a) {
        if ((a instanceof Inet4Address) != isIpv4()) return false;
        byte[] x = a.getAddress(), n = address.getAddress();
        for (int bit = 0; bit < prefix; bit++) {
            int m = 0x80 >>> (bit % 8);
            if ((x[bit / 8] & m) != (n[bit / 8] & m)) return false;
        }
        return true;
    }

    private static String masked(InetAddress a, int prefix) {
        byte[] b = a.getAddress();
        for (int bit = prefix; bit < b.length * 8; bit++) b[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        try {
            return text(InetAddress.getByAddress(b), prefix);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static String text(InetAddress a, int prefix) {
        return a.getHostAddress() + "/" + prefix;
    }

    @Override
    public String toString() {
        return text(address, prefix);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.address.getAddress(), address.getAddress());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(address.getAddress()) * 31 + prefix;
    }
}
