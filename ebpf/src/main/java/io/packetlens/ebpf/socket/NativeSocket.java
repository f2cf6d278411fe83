package io.packetlens.ebpf.socket;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Sockets;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * A socket made with socket(2) through FFM and owned here, for the cases where BPF needs the
 * socket's fd, which JDK sockets do not hand out: a socket filter (SO_ATTACH_BPF) on an
 * AF_PACKET or UDP/TCP socket, or a TCP socket put into a sockmap. Blocking, with an
 * optional receive timeout. The socket lives in the network namespace of the thread that
 * created it. Not for hot paths: each call copies through a small native buffer.
 */
public final class NativeSocket implements AutoCloseable {
    /** ETH_P_ALL: every protocol, for packet sockets. */
    public static final int ETH_P_ALL = 0x0003;

    private final Fd fd;
    private final int domain;
    private final int type;

    private NativeSocket(int fd, int domain, int type) {
        this.fd = new Fd(fd);
        this.domain = domain;
        this.type = type;
    }

    private static NativeSocket open(int domain, int type, int protocol, String what) {
        int r = Sockets.socket(domain, type | Sockets.SOCK_CLOEXEC, protocol);
        if (r < 0) {
            throw BpfException.of("create " + what + " socket" + (r == -Errno.EPERM ? " (needs CAP_NET_RAW)" : ""), -r);
        }
        return new NativeSocket(r, domain, type);
    }

    /** A UDP socket (IPv4 or IPv6). */
    public static NativeSocket udp(boolean ipv6) {
        return open(ipv6 ? Sockets.AF_INET6 : Sockets.AF_INET, Sockets.SOCK_DGRAM, 0, "UDP");
    }

    /** A TCP socket (IPv4 or IPv6). */
    public static NativeSocket tcp(boolean ipv6) {
        return open(ipv6 ? Sockets.AF_INET6 : Sockets.AF_INET, Sockets.SOCK_STREAM, 0, "TCP");
    }

    /**
     * An AF_PACKET raw socket that receives nothing until {@link #bindToInterface} (protocol 0),
     * so a filter attached in between sees every frame from the first one on.
     */
    public static NativeSocket packet() {
        return open(Sockets.AF_PACKET, Sockets.SOCK_RAW, 0, "AF_PACKET");
    }

    /** The socket's fd, for SO_ATTACH_BPF or a sockmap. */
    public int fd() {
        return fd.get();
    }

    public boolean isOpen() {
        return fd.isOpen();
    }

    private void check(long r, String what) {
        if (r < 0) throw BpfException.of(what, (int) -r);
    }

    /** Binds a packet socket to interface {@code ifindex} for frames of every protocol (both directions). */
    public NativeSocket bindToInterface(int ifindex) {
        if (domain != Sockets.AF_PACKET) throw new IllegalStateException("not a packet socket");
        try (Arena a = Arena.ofConfined()) {
            check(Sockets.bind(fd.get(), SocketAddresses.link(a, ETH_P_ALL, ifindex)), "bind packet socket to ifindex " + ifindex);
        }
        return this;
    }

    public NativeSocket reuseAddress() {
        check(Sockets.setsockopt(fd.get(), Sockets.SOL_SOCKET, Sockets.SO_REUSEADDR, 1), "set SO_REUSEADDR");
        return this;
    }

    public NativeSocket bind(InetSocketAddress address) {
        try (Arena a = Arena.ofConfined()) {
            check(Sockets.bind(fd.get(), SocketAddresses.inet(a, address)), "bind to " + address);
        }
        return this;
    }

    public NativeSocket listen(int backlog) {
        check(Sockets.listen(fd.get(), backlog), "listen");
        return this;
    }

    /** Accepts one connection (blocking). */
    public NativeSocket accept() {
        int r;
        do {
            r = Sockets.accept(fd.get(), Sockets.SOCK_CLOEXEC);
        } while (r == -Errno.EINTR);
        check(r, "accept");
        return new NativeSocket(r, domain, type);
    }

    public NativeSocket connect(InetSocketAddress address) {
        try (Arena a = Arena.ofConfined()) {
            int r;
            do {
                r = Sockets.connect(fd.get(), SocketAddresses.inet(a, address));
            } while (r == -Errno.EINTR);
            check(r, "connect to " + address);
        }
        return this;
    }

    /** The locally bound address (e.g. the port the kernel chose). */
    public InetSocketAddress localAddress() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(SocketAddresses.MAX_SIZE, 4);
            check(Sockets.getsockname(fd.get(), sa), "getsockname");
            return SocketAddresses.read(sa);
        }
    }

    /** The socket's cookie (SO_COOKIE): the kernel's unique 64-bit id for it, as bpf_get_socket_cookie() returns it. */
    public long cookie() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(8, 8);
            check(Sockets.getsockopt(fd.get(), Sockets.SOL_SOCKET, Sockets.SO_COOKIE, v), "get SO_COOKIE");
            return v.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0);
        }
    }

    /** SO_RCVTIMEO: receive calls give up after {@code timeout} (then {@link #receive} returns empty). */
    public NativeSocket receiveTimeout(Duration timeout) {
        check(Sockets.setReceiveTimeout(fd.get(), timeout.toMillis()), "set receive timeout");
        return this;
    }

    /** Sends all of {@code data} on a connected socket. */
    public void send(byte[] data, int offset, int length) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.max(length, 1));
            MemorySegment.copy(data, offset, buf, JAVA_BYTE, 0, length);
            long done = 0;
            while (done < length) {
                long r = Sockets.sendto(fd.get(), buf.asSlice(done), length - done, Sockets.MSG_NOSIGNAL, MemorySegment.NULL);
                if (r == -Errno.EINTR) continue;
                check(r, "send");
                done += r;
            }
        }
    }

    public void send(byte[] data) {
        send(data, 0, data.length);
    }

    /** Sends one datagram to {@code target}. */
    public void sendTo(byte[] data, InetSocketAddress target) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.max(data.length, 1));
            MemorySegment.copy(data, 0, buf, JAVA_BYTE, 0, data.length);
            long r;
            do {
                r = Sockets.sendto(fd.get(), buf, data.length, Sockets.MSG_NOSIGNAL, SocketAddresses.inet(a, target));
            } while (r == -Errno.EINTR);
            check(r, "send to " + target);
        }
    }

    /**
     * Receives into {@code buffer}: for a datagram or packet socket one datagram or frame
     * (truncated to the buffer), for a stream the bytes available. Returns the byte count, 0 at
     * the end of a stream, or empty when the receive timeout passed.
     */
    public Optional<Integer> receive(byte[] buffer) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.max(buffer.length, 1));
            long r;
            do {
                r = Sockets.recv(fd.get(), buf, buffer.length, 0);
            } while (r == -Errno.EINTR);
            if (r == -Errno.EAGAIN) return Optional.empty();
            check(r, "receive");
            MemorySegment.copy(buf, JAVA_BYTE, 0, buffer, 0, (int) r);
            return Optional.of((int) r);
        }
    }

    /** shutdown(SHUT_WR): the peer reads end-of-stream after the bytes sent so far. */
    public void shutdownOutput() {
        check(Sockets.shutdown(fd.get(), Sockets.SHUT_WR), "shutdown");
    }

    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        String kind = switch (domain) {
            case Sockets.AF_PACKET -> "packet";
            case Sockets.AF_INET, Sockets.AF_INET6 -> (type == Sockets.SOCK_STREAM ? "tcp" : "udp") + (domain == Sockets.AF_INET6 ? "6" : "");
            default -> "domain " + domain;
        };
        return "NativeSocket[" + kind + " " + fd + "]";
    }
}
