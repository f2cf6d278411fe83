package io.packetlens.programs.filter;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * {@code [src|dst] host ADDR} or {@code [src|dst] net ADDR/LEN}: an IPv4 or IPv6 prefix.
 *
 * @param direction which end of the packet
 * @param address   4 or 16 bytes, with the bits past {@code prefixLength} zero
 * @param prefixLength 0..32 or 0..128 ({@code host} is the full length)
 */
public record AddressTerm(Direction direction, byte[] address, int prefixLength) {
    public AddressTerm {
        if (address.length != 4 && address.length != 16) throw new IllegalArgumentException("address of " + address.length + " bytes");
        if (prefixLength < 0 || prefixLength > address.length * 8) throw new IllegalArgumentException("prefix /" + prefixLength);
        address = masked(address, prefixLength);
    }

    static byte[] masked(byte[] a, int bits) {
        byte[] m = a.clone();
        for (int i = 0; i < m.length; i++) {
            int keep = Math.max(0, Math.min(8, bits - i * 8));
            m[i] &= (byte) (0xff00 >> keep);
        }
        return m;
    }

    public boolean ipv6() {
        return address.length == 16;
    }

    /** Whether this prefix contains all of {@code other}'s (same family, shorter or equal, same leading bits). */
    public boolean covers(AddressTerm other) {
        return other.address.length == address.length && prefixLength <= other.prefixLength
                && Arrays.equals(address, masked(other.address, prefixLength));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AddressTerm t && t.direction == direction && t.prefixLength == prefixLength && Arrays.equals(t.address, address);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(address) * 31 + prefixLength * 7 + direction.hashCode();
    }

    @Override
    public String toString() {
        String dir = direction == Direction.ANY ? "" : direction.name().toLowerCase() + " ";
        try {
            String a = InetAddress.getByAddress(address).getHostAddress();
            return prefixLength == address.length * 8 ? dir + "host " + a : dir + "net " + a + "/" + prefixLength;
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
