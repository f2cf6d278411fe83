package io.packetlens.packet;

/**
 * The Internet checksum (RFC 1071): the ones'-complement of the ones'-complement sum of 16-bit big-endian words, and
 * its incremental update when one word changes (RFC 1624). Sums are kept in a {@code long} and folded at the end, so
 * any number of words can be added before {@link #fold}.
 */
public final class Checksums {
    private Checksums() {}

    /** {@code initial} plus the 16-bit big-endian words of {@code b[off, off + len)}; an odd last byte counts as its high half. */
    public static long sum(byte[] b, int off, int len, long initial) {
        long s = initial;
        int i = 0;
        for (; i + 1 < len; i += 2) s += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        if (i < len) s += (b[off + i] & 0xff) << 8;
        return s;
    }

    /** The sum folded to 16 bits with end-around carries (not complemented). */
    public static int fold(long sum) {
        long s = sum;
        while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
        return (int) s;
    }

    /** The checksum to store for {@code b[off, off + len)} (its checksum field zero). */
    public static int checksum(byte[] b, int off, int len) {
        return checksum(b, off, len, 0);
    }

    /** The checksum to store for {@code b[off, off + len)} on top of a partial sum such as a {@link #pseudoHeader}. */
    public static int checksum(byte[] b, int off, int len, long initial) {
        return ~fold(sum(b, off, len, initial)) & 0xffff;
    }

    /** Whether {@code b[off, off + len)}, its checksum field included, sums to all ones on top of {@code initial}: a valid checksum. */
    public static boolean verifies(byte[] b, int off, int len, long initial) {
        return fold(sum(b, off, len, initial)) == 0xffff;
    }

    /**
     * The sum of the TCP/UDP/ICMPv6 pseudo-header: both addresses (4 bytes each for IPv4, 16 for IPv6), the protocol
     * and the transport length.
     */
    public static long pseudoHeader(byte[] source, byte[] destination, int protocol, int length) {
        if (source.length != destination.length || (source.length != 4 && source.length != 16)) {
            throw new IllegalArgumentException("addresses must both be 4 or 16 bytes, not " + source.length + " and " + destination.length);
        }
        return sum(source, 0, source.length, 0) + sum(destination, 0, destination.length, 0) + protocol
                + (length >>> 16) + (length & 0xffff);
    }

    /**
     * The checksum after one 16-bit word of the data changed from {@code oldWord} to {@code newWord}: RFC 1624's
     * {@code HC' = ~(~HC + ~m + m')}, which (unlike RFC 1141's form) never turns a correct sum into -0.
     */
    public static int update(int checksum, int oldWord, int newWord) {
        long s = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
        return ~fold(s) & 0xffff;
    }
}
