package io.packetlens.ebpf.socket;

import io.packetlens.ebpf.sys.Sockets;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * {@code struct sockaddr_in} (16 bytes), {@code sockaddr_in6} (28 bytes) and
 * {@code sockaddr_ll} (20 bytes) written and read in native memory. Ports are big-endian.
 */
final class SocketAddresses {
    static final int IN_FAMILY = 0, IN_PORT = 2, IN_ADDR = 4, IN_SIZE = 16;
    static final int IN6_FAMILY = 0, IN6_PORT = 2, IN6_FLOWINFO = 4, IN6_ADDR = 8, IN6_SCOPE = 24, IN6_SIZE = 28;
    static final int LL_FAMILY = 0, LL_PROTOCOL = 2, LL_IFINDEX = 4, LL_SIZE = 20;
    /** Large enough for any of them (sockaddr_storage is 128). */
    static final int MAX_SIZE = 128;

    private SocketAddresses() {}

    private static short bigEndian16(int v) {
        return (short) (((v & 0xff) << 8) | ((v >> 8) & 0xff));
    }

    static MemorySegment inet(Arena arena, InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        if (ip instanceof Inet4Address) {
            MemorySegment sa = arena.allocate(IN_SIZE, 4);
            sa.set(JAVA_SHORT, IN_FAMILY, (short) Sockets.AF_INET);
            sa.set(JAVA_SHORT, IN_PORT, bigEndian16(address.getPort()));
            MemorySegment.copy(ip.getAddress(), 0, sa, JAVA_BYTE, IN_ADDR, 4);
            return sa;
        }
        if (ip instanceof Inet6Address v6) {
            MemorySegment sa = arena.allocate(IN6_SIZE, 4);
            sa.set(JAVA_SHORT, IN6_FAMILY, (short) Sockets.AF_INET6);
            sa.set(JAVA_SHORT, IN6_PORT, bigEndian16(address.getPort()));
            MemorySegment.copy(ip.getAddress(), 0, sa, JAVA_BYTE, IN6_ADDR, 16);
            sa.set(JAVA_INT, IN6_SCOPE, v6.getScopeId());
            return sa;
        }
        throw new IllegalArgumentException("unresolved address " + address);
    }

    static MemorySegment link(Arena arena, int protocol, int ifindex) {
        MemorySegment sa = arena.allocate(LL_SIZE, 4);
        sa.set(JAVA_SHORT, LL_FAMILY, (short) Sockets.AF_PACKET);
        sa.set(JAVA_SHORT, LL_PROTOCOL, bigEndian16(protocol));
        sa.set(JAVA_INT, LL_IFINDEX, ifindex);
        return sa;
    }

    /** Reads an AF_INET or AF_INET6 address written by the kernel. */
    static InetSocketAddress read(MemorySegment sa) {
        int family = sa.get(JAVA_SHORT, 0) & 0xffff;
        int port = bigEndian16(sa.get(JAVA_SHORT, 2)) & 0xffff;
        try {
            if (family == Sockets.AF_INET) {
                return new InetSocketAddress(InetAddress.getByAddress(sa.asSlice(IN_ADDR, 4).toArray(JAVA_BYTE)), port);
            }
            if (family == Sockets.AF_INET6) {
                return new InetSocketAddress(InetAddress.getByAddress(sa.asSlice(IN6_ADDR, 16).toArray(JAVA_BYTE)), port);
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        throw new IllegalArgumentException("not an internet address: family " + family);
    }
}
