package io.packetlens.export.ipfix;

import java.net.Inet6Address;
import java.nio.ByteBuffer;

/**
 * Writes IPv6 addresses without the copy {@link Inet6Address#getAddress()} makes each time (the JIT does not remove
 * that clone): the bytes of recently seen addresses are kept in a small direct-mapped table, found by the address's
 * hash code and checked with {@code equals}, neither of which allocates. A miss (an address not seen lately) costs one
 * copy and one table entry. Entries are immutable, so exporter threads may share the table without locks: a racing
 * writer can only replace an entry with another correct one.
 */
final class Ipv6Bytes {
    private static final int BITS = 12;
    private static final Entry[] TABLE = new Entry[1 << BITS];

    private record Entry(Inet6Address address, long high, long low) {}

    private Ipv6Bytes() {}

    static void put(ByteBuffer out, Inet6Address a) {
        int slot = (a.hashCode() * 0x9E3779B9) >>> (32 - BITS);
        Entry e = TABLE[slot];
        if (e == null || (e.address != a && !e.address.equals(a))) {
            byte[] r = a.getAddress();
            e = new Entry(a, long64(r, 0), long64(r, 8));
            TABLE[slot] = e;
        }
        out.putLong(e.high).putLong(e.low);
    }

    private static long long64(byte[] r, int i) {
        long v = 0;
        for (int k = 0; k < 8; k++) v = v << 8 | (r[i + k] & 0xff);
        return v;
    }
}
