package io.packetlens.ebpf.netlink;

import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Sockets;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A netlink socket (AF_NETLINK, SOCK_RAW) made through FFM, speaking request/response:
 * each request gets the next sequence number, and {@link #request} reads replies until
 * the acknowledgement (NLMSG_ERROR) or, for dumps, NLMSG_DONE, turning a refusal into a
 * {@link NetlinkException} with the kernel's extended-ack text (NETLINK_EXT_ACK is
 * switched on). The socket belongs to the network namespace of the thread that opened
 * it, whatever thread uses it later. One request at a time (calls are synchronized).
 */
public final class NetlinkSocket implements AutoCloseable {
    /** {@code struct sockaddr_nl}: u16 family, u16 pad, u32 pid, u32 groups. */
    private static final int SA_FAMILY = 0, SA_PID = 4, SA_SIZE = 12;
    private static final long RECEIVE_TIMEOUT_MS = 30_000;

    private final Fd fd;
    private final int portId;
    private final Arena arena = Arena.ofShared();
    private MemorySegment rx;
    private int seq = (int) (System.nanoTime() & 0x3fffffff);

    private NetlinkSocket(Fd fd, int portId) {
        this.fd = fd;
        this.portId = portId;
        this.rx = arena.allocate(64 * 1024, 8);
    }

    /** Opens a NETLINK_ROUTE socket (links, qdiscs, filters) in the calling thread's network namespace. */
    public static NetlinkSocket route() {
        return open(Netlink.NETLINK_ROUTE);
    }

    /** Opens a netlink socket of {@code protocol} in the calling thread's network namespace. */
    public static NetlinkSocket open(int protocol) {
        int r = Sockets.socket(Sockets.AF_NETLINK, Sockets.SOCK_RAW | Sockets.SOCK_CLOEXEC, protocol);
        if (r < 0) throw new NetlinkException("netlink socket(protocol " + protocol + "): " + Errno.describe(-r), -r, null);
        Fd fd = new Fd(r);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(SA_SIZE, 4);
            sa.set(JAVA_SHORT, SA_FAMILY, (short) Sockets.AF_NETLINK);
            check(Sockets.bind(fd.get(), sa), "bind netlink socket");
            check(Sockets.getsockname(fd.get(), sa), "getsockname of netlink socket");
            int pid = sa.get(JAVA_INT, SA_PID);
            // best effort: older kernels lack these, and errors are still reported without them
            Sockets.setsockopt(fd.get(), Sockets.SOL_NETLINK, Netlink.NETLINK_EXT_ACK, 1);
            Sockets.setsockopt(fd.get(), Sockets.SOL_NETLINK, Netlink.NETLINK_CAP_ACK, 1);
            check(Sockets.setReceiveTimeout(fd.get(), RECEIVE_TIMEOUT_MS), "set netlink receive timeout");
            return new NetlinkSocket(fd, pid);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    private static void check(int r, String what) {
        if (r < 0) throw new NetlinkException(what + ": " + Errno.describe(-r), -r, null);
    }

    /** The port id the kernel gave this socket. */
    public int portId() {
        return portId;
    }

    /**
     * Sends a request with NLM_F_ACK and returns the messages the kernel answered with before
     * its acknowledgement (none for most changes; the object for a GET or a NLM_F_ECHO request).
     *
     * @param what names the operation in the exception if the kernel refuses
     */
    public List<Message> request(MessageBuilder request, String what) {
        return exchange(request, what, false);
    }

    /** Sends a dump request (NLM_F_DUMP) and returns every message of the multi-part answer up to NLMSG_DONE. */
    public List<Message> dump(MessageBuilder request, String what) {
        return exchange(request, what, true);
    }

    private synchronized List<Message> exchange(MessageBuilder request, String what, boolean dump) {
        byte[] msg = request.build();
        ByteBuffer b = ByteBuffer.wrap(msg).order(ByteOrder.nativeOrder());
        int flags = b.getShort(Netlink.HDR_FLAGS) & 0xffff;
        flags |= dump ? Netlink.NLM_F_DUMP : Netlink.NLM_F_ACK;
        int mySeq = ++seq;
        b.putShort(Netlink.HDR_FLAGS, (short) flags);
        b.putInt(Netlink.HDR_SEQ, mySeq);
        b.putInt(Netlink.HDR_PID, portId);
        send(msg, what);
        List<Message> replies = new ArrayList<>();
        while (true) {
            for (Message m : receive(what)) {
                if (m.seq() != mySeq) continue; // a late answer to an abandoned request
                if (m.isError()) {
                    NetlinkError e = NetlinkError.decode(m);
                    if (!e.isAck()) throw NetlinkException.of(what, e);
                    return replies;
                }
                if (m.isDone()) {
                    // a dump that failed part-way reports the errno in NLMSG_DONE's payload
                    if (m.payload().length >= 4 && m.buffer().getInt(0) < 0) {
                        throw NetlinkException.of(what, doneError(m));
                    }
                    return replies;
                }
                if (m.type() == Netlink.NLMSG_NOOP) continue;
                if (m.type() == Netlink.NLMSG_OVERRUN) {
                    throw new NetlinkException(what + ": netlink overrun (replies lost)", Errno.ENOBUFS, null);
                }
                replies.add(m);
            }
        }
    }

    private static NetlinkError doneError(Message m) {
        String text = null;
        if ((m.flags() & Netlink.NLM_F_ACK_TLVS) != 0 && m.payload().length > 4) {
            text = Attributes.parse(m.buffer(), 4, m.payload().length - 4)
                    .get(Netlink.NLMSGERR_ATTR_MSG).map(Attribute::string).orElse(null);
        }
        return new NetlinkError(-m.buffer().getInt(0), 0, m.seq(), text, -1, -1);
    }

    private void send(byte[] msg, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocateFrom(JAVA_BYTE, msg);
            MemorySegment kernel = a.allocate(SA_SIZE, 4);
            kernel.set(JAVA_SHORT, SA_FAMILY, (short) Sockets.AF_NETLINK);
            long r;
            do {
                r = Sockets.sendto(fd.get(), out, msg.length, 0, kernel);
            } while (r == -Errno.EINTR);
            if (r < 0) throw new NetlinkException(what + ": netlink send: " + Errno.describe((int) -r), (int) -r, null);
        }
    }

    private List<Message> receive(String what) {
        long n;
        do {
            // peek with MSG_TRUNC first: it reports the datagram's full size, so a large dump chunk is never cut
            n = Sockets.recv(fd.get(), rx, rx.byteSize(), Sockets.MSG_PEEK | Sockets.MSG_TRUNC);
        } while (n == -Errno.EINTR);
        if (n == -Errno.EAGAIN) throw new NetlinkException(what + ": no netlink reply within " + RECEIVE_TIMEOUT_MS + " ms", Errno.ETIMEDOUT, null);
        if (n < 0) throw new NetlinkException(what + ": netlink receive: " + Errno.describe((int) -n), (int) -n, null);
        if (n > rx.byteSize()) rx = arena.allocate(Math.max(n, rx.byteSize() * 2), 8);
        do {
            n = Sockets.recv(fd.get(), rx, rx.byteSize(), 0);
        } while (n == -Errno.EINTR);
        if (n < 0) throw new NetlinkException(what + ": netlink receive: " + Errno.describe((int) -n), (int) -n, null);
        byte[] data = rx.asSlice(0, n).toArray(JAVA_BYTE);
        return Message.parseAll(data, data.length);
    }

    @Override
    public synchronized void close() {
        fd.close();
        arena.close();
    }
}
