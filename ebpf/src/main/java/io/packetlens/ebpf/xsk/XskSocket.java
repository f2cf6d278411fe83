package io.packetlens.ebpf.xsk;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.link.Interfaces;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.XskSyscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * An AF_XDP socket bound to one queue of one network device, with its RX and/or TX ring
 * mapped into this process and a {@link Umem} holding the frames. An XDP program puts a
 * received frame into the socket by {@code bpf_redirect_map} on an XSKMAP holding the
 * socket's fd ({@link #fd}); the frame lands in UMEM and its descriptor in the RX ring,
 * and {@link #receive} hands it to Java as a view into UMEM. Frames to send are written
 * into UMEM and their descriptors put on the TX ring ({@link #transmit}); finished ones
 * come back through the completion ring.
 *
 * <p>The packet paths ({@link #receive}, {@link #transmit}, {@link #completeTx},
 * {@link #poll}) allocate nothing. Not thread-safe: one thread drives a socket (and all
 * sockets sharing a UMEM, which owns the free-frame stack).
 */
public final class XskSocket implements AutoCloseable {
    private static final int ENETDOWN = 100, ENETUNREACH = 101;
    private final Umem umem;
    /** This socket's own fd, or null when it is bound with the UMEM's fd. */
    private final Fd fd;
    private final String ifname;
    private final int ifindex;
    private final int queue;
    private final XskConfig config;
    private final ConsumerRing rx;
    private final ProducerRing tx;
    private final ProducerRing fill;
    private final ConsumerRing completion;
    private final boolean ownsUmemRings;
    private final boolean zeroCopy;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment pollfd;
    private final MemorySegment statsBuf;
    private final MemorySegment lenBuf;
    private long rxFrames;
    private long txFrames;
    private long txBusy;
    private int txInFlight;
    private boolean closed;

    private XskSocket(Umem umem, Fd fd, String ifname, int ifindex, int queue, XskConfig config,
                      ConsumerRing rx, ProducerRing tx, ProducerRing fill, ConsumerRing completion, boolean ownsUmemRings,
                      boolean zeroCopy) {
        this.umem = umem;
        this.fd = fd;
        this.ifname = ifname;
        this.ifindex = ifindex;
        this.queue = queue;
        this.config = config;
        this.rx = rx;
        this.tx = tx;
        this.fill = fill;
        this.completion = completion;
        this.ownsUmemRings = ownsUmemRings;
        this.zeroCopy = zeroCopy;
        this.pollfd = arena.allocate(XskSyscalls.POLLFD_SIZE, 8);
        this.pollfd.set(JAVA_INT, 0, fd != null ? fd.get() : umem.fd());
        this.statsBuf = arena.allocate(IfXdp.Statistics.SIZE, 8);
        this.lenBuf = arena.allocate(JAVA_INT);
    }

    /**
     * Creates an AF_XDP socket on queue {@code queue} of interface {@code ifname} (in the
     * calling thread's network namespace), using {@code umem} for its frames, and binds it.
     * The first socket of a UMEM uses the UMEM's own fd and rings; later ones bind with
     * XDP_SHARED_UMEM, with their own fill and completion rings when they are on another
     * device or queue. Frames for reception are moved to the fill ring once it is bound.
     * A missing interface, a queue id the device does not have, or zero-copy on a driver
     * without it fail with a message saying so.
     */
    public static XskSocket open(Umem umem, String ifname, int queue, XskConfig config) {
        int ifindex = Interfaces.index(ifname);
        if (queue < 0) throw new BpfException("queue id must be >= 0, not " + queue);
        boolean first = umem.fdFree();
        if (first) umem.register();
        boolean sharesRings = !first && umem.ownerBoundTo(ifindex, queue);
        Fd fd = first ? null : new Fd(XskOptions.newSocket());
        int sock = first ? umem.fd() : fd.get();
        ConsumerRing rx = null;
        ProducerRing tx = null;
        ProducerRing fill = null;
        ConsumerRing completion = null;
        boolean ownRings = !first && !sharesRings;
        try (Arena setup = Arena.ofConfined()) {
            if (config.rxSize() > 0) XskOptions.setInt(sock, IfXdp.XDP_RX_RING, config.rxSize(), "XDP_RX_RING");
            if (config.txSize() > 0) XskOptions.setInt(sock, IfXdp.XDP_TX_RING, config.txSize(), "XDP_TX_RING");
            if (ownRings) {
                XskOptions.setInt(sock, IfXdp.XDP_UMEM_FILL_RING, config.fillSize(), "XDP_UMEM_FILL_RING");
                XskOptions.setInt(sock, IfXdp.XDP_UMEM_COMPLETION_RING, config.completionSize(), "XDP_UMEM_COMPLETION_RING");
            }
            MemorySegment off = XskOptions.mmapOffsets(sock, setup);
            if (config.rxSize() > 0) rx = new ConsumerRing(RingKind.RX, XskRing.mapRing(sock, RingKind.RX, off, config.rxSize()), off, config.rxSize());
            if (config.txSize() > 0) tx = new ProducerRing(RingKind.TX, XskRing.mapRing(sock, RingKind.TX, off, config.txSize()), off, config.txSize());
            if (ownRings) {
                fill = new ProducerRing(RingKind.FILL, XskRing.mapRing(sock, RingKind.FILL, off, config.fillSize()), off, config.fillSize());
                completion = new ConsumerRing(RingKind.COMPLETION,
                        XskRing.mapRing(sock, RingKind.COMPLETION, off, config.completionSize()), off, config.completionSize());
            } else {
                fill = umem.fillRing();
                completion = umem.completionRing();
            }
            MemorySegment sa = setup.allocate(IfXdp.SockaddrXdp.SIZE, 8);
            sa.set(JAVA_SHORT, IfXdp.SockaddrXdp.FAMILY, (short) XskSyscalls.AF_XDP);
            int flags;
            if (first) {
                flags = config.bindMode().flag | (config.needWakeup() ? IfXdp.XDP_USE_NEED_WAKEUP : 0);
            } else {
                // the kernel refuses mode flags on shared sockets: they inherit the UMEM owner's
                flags = IfXdp.XDP_SHARED_UMEM;
                sa.set(JAVA_INT, IfXdp.SockaddrXdp.SHARED_UMEM_FD, umem.fd());
            }
            sa.set(JAVA_SHORT, IfXdp.SockaddrXdp.FLAGS, (short) flags);
            sa.set(JAVA_INT, IfXdp.SockaddrXdp.IFINDEX, ifindex);
            sa.set(JAVA_INT, IfXdp.SockaddrXdp.QUEUE_ID, queue);
            int r = XskSyscalls.bind(sock, sa, IfXdp.SockaddrXdp.SIZE);
            if (r < 0) throw bindError(ifname, queue, config, first, -r);
            MemorySegment opts = setup.allocate(4, 4);
            XskOptions.get(sock, IfXdp.XDP_OPTIONS, opts, "XDP_OPTIONS");
            boolean zc = (opts.get(JAVA_INT, 0) & IfXdp.XDP_OPTIONS_ZEROCOPY) != 0;
            XskSocket s = new XskSocket(umem, first ? null : fd, ifname, ifindex, queue, config, rx, tx, fill, completion, ownRings, zc);
            umem.register(s, first);
            // frames for reception go in once bound; until an XSKMAP entry points here nothing arrives anyway
            if (config.rxSize() > 0) fillFromFree(umem, fill, Math.min(config.fillFrames(), umem.freeFrames()));
            return s;
        } catch (RuntimeException e) {
            if (rx != null) rx.close();
            if (tx != null) tx.close();
            if (ownRings && fill != null) fill.close();
            if (ownRings && completion != null) completion.close();
            if (fd != null) fd.close();
            if (first) umem.unregisterUnbound();
            throw e;
        }
    }

    private static int fillFromFree(Umem umem, ProducerRing fill, int n) {
        int got = fill.reserve(n);
        for (int i = 0; i < got; i++) fill.putAddr(i, umem.allocFrame());
        fill.submit(got);
        return got;
    }

    private static BpfException bindError(String ifname, int queue, XskConfig config, boolean first, int errno) {
        String what = "bind AF_XDP socket to " + ifname + " queue " + queue;
        String hint = switch (errno) {
            case Errno.EINVAL -> DeviceQueues.of(ifname)
                    .filter(c -> queue >= c.rx() || queue >= c.tx())
                    .map(c -> ": queue " + queue + " does not exist on " + ifname + " (it has " + c.rx() + " RX and "
                            + c.tx() + " TX queues, ids from 0)")
                    .orElse(": invalid queue id, ring sizes or flags");
            case Errno.EOPNOTSUPP, Errno.ENOTSUPP -> config.bindMode() == BindMode.ZEROCOPY
                    ? ": the driver of " + ifname + " has no zero-copy AF_XDP support; bind in copy mode (BindMode.COPY or AUTO)"
                    : ": not supported by the driver of " + ifname;
            case Errno.EBUSY -> ": another AF_XDP socket (or zero-copy user) is already bound to that queue";
            case ENETDOWN -> ": " + ifname + " is down";
            case Errno.ENODEV -> ": no such device";
            default -> first ? "" : " (sharing the UMEM)";
        };
        return BpfException.of(what + hint, errno);
    }

    /**
     * Hands up to {@code max} received frames to {@code handler}, then gives their frames
     * back to the fill ring. Returns the number handled, 0 if none was ready (it does not
     * wait: see {@link #poll}). If the handler throws, the frames stay in the RX ring and
     * are handed out again by the next call.
     */
    public int receive(int max, RxHandler handler) {
        if (rx == null) throw new IllegalStateException(this + " has no RX ring");
        int n = rx.peek(max);
        if (n == 0) {
            if (config.needWakeup() && fill.needsWakeup()) XskSyscalls.kickRx(fd());
            return 0;
        }
        MemorySegment area = umem.area();
        for (int i = 0; i < n; i++) handler.onFrame(area, rx.descAddr(i), rx.descLen(i));
        int back = fill.reserve(n);
        for (int i = 0; i < back; i++) fill.putAddr(i, umem.frameOf(rx.descAddr(i)));
        for (int i = back; i < n; i++) umem.freeFrame(rx.descAddr(i));
        fill.submit(back);
        rx.release(n);
        rxFrames += n;
        if (config.needWakeup() && fill.needsWakeup()) XskSyscalls.kickRx(fd());
        return n;
    }

    /** Moves up to {@code n} frames from the UMEM's free stack to the fill ring; returns how many. */
    public int fill(int n) {
        return fillFromFree(umem, fill, Math.min(n, umem.freeFrames()));
    }

    /**
     * Waits up to {@code timeoutMillis} (-1 = forever, 0 = just check) for received frames
     * (POLLIN) or, with {@code forTx}, room in the TX ring (POLLOUT). In copy mode a poll
     * also makes the kernel process the TX ring. Returns whether the socket became ready;
     * an interrupted wait (EINTR) counts as not ready.
     */
    public boolean poll(int timeoutMillis, boolean forTx) {
        pollfd.set(JAVA_SHORT, 4, forTx ? XskSyscalls.POLLOUT : XskSyscalls.POLLIN);
        pollfd.set(JAVA_SHORT, 6, (short) 0);
        int r = XskSyscalls.poll(pollfd, 1, timeoutMillis);
        if (r < 0 && r != -Errno.EINTR) throw BpfException.of("poll on " + this, -r);
        return r > 0;
    }

    /**
     * Fills up to {@code max} free UMEM frames through {@code filler}, puts them on the TX
     * ring and asks the kernel to send them. Completed frames are reaped first. Returns the
     * number queued, which is smaller than {@code max} when the TX ring or the free stack
     * is short (back-pressure: reap and call again) or the filler returned 0.
     */
    public int transmit(int max, TxFiller filler) {
        if (tx == null) throw new IllegalStateException(this + " has no TX ring");
        completeTx();
        int n = tx.reserve(Math.min(max, umem.freeFrames()));
        MemorySegment area = umem.area();
        int frameSize = umem.frameSize();
        int queued = 0;
        while (queued < n) {
            long addr = umem.allocFrame();
            int len = filler.fill(area, addr, frameSize, queued);
            if (len <= 0) {
                umem.freeFrame(addr);
                break;
            }
            if (len > frameSize) {
                umem.freeFrame(addr);
                throw new IllegalArgumentException("frame of " + len + " bytes does not fit a " + frameSize + "-byte UMEM frame");
            }
            tx.putDesc(queued++, addr, len);
        }
        tx.submit(queued);
        txInFlight += queued;
        txFrames += queued;
        kickTx();
        return queued;
    }

    /**
     * Copies one frame into UMEM and queues it; false if the TX ring or the free stack is
     * full right now. A convenience (it allocates a small lambda); loops use {@link #transmit}.
     */
    public boolean send(MemorySegment frame) {
        return transmit(1, (area, offset, capacity, i) -> {
            MemorySegment.copy(frame, 0, area, offset, frame.byteSize());
            return (int) frame.byteSize();
        }) == 1;
    }

    /**
     * Asks the kernel to process the TX ring (an empty sendto; skipped with need-wakeup when
     * the kernel did not ask for it). Back-pressure answers (EAGAIN, EBUSY, ENOBUFS,
     * ENETDOWN) are counted, not thrown: the frames stay queued and the next kick retries.
     * Returns 0 or that {@code -errno}.
     */
    public int kickTx() {
        if (tx == null || tx.outstanding() == 0) return 0;
        if (config.needWakeup() && !tx.needsWakeup()) return 0;
        long r = XskSyscalls.kickTx(fd());
        if (r >= 0) return 0;
        int errno = (int) -r;
        switch (errno) {
            case Errno.EAGAIN, Errno.EBUSY, Errno.ENOBUFS, Errno.EINTR, ENETDOWN, ENETUNREACH -> {
                txBusy++;
                return (int) r;
            }
            default -> throw BpfException.of("sendto (TX wake-up) on " + this, errno);
        }
    }

    /** Reaps the completion ring: sent frames go back to the UMEM's free stack. Returns how many. */
    public int completeTx() {
        int n = completion.peek(completion.size());
        if (n == 0) return 0;
        for (int i = 0; i < n; i++) umem.freeFrame(completion.addr(i));
        completion.release(n);
        txInFlight -= n;
        return n;
    }

    /**
     * Kicks and reaps until every queued frame has completed or {@code timeoutMillis} passed;
     * returns the frames still in flight (0 when all were sent).
     */
    public int flushTx(long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (txInFlight > 0 && System.nanoTime() < deadline) {
            kickTx();
            if (completeTx() == 0) Thread.onSpinWait();
        }
        return txInFlight;
    }

    /** Frames queued on the TX ring whose completion has not been reaped. */
    public int txInFlight() {
        return txInFlight;
    }

    /** Frames handed out by {@link #receive} since open. */
    public long rxFrames() {
        return rxFrames;
    }

    /** Frames queued by {@link #transmit} since open. */
    public long txFrames() {
        return txFrames;
    }

    /** TX wake-ups the kernel answered with back-pressure (EAGAIN, EBUSY, ENOBUFS, ...). */
    public long txBusy() {
        return txBusy;
    }

    /** The kernel's counters for this socket (XDP_STATISTICS). */
    public XskStatistics statistics() {
        lenBuf.set(JAVA_INT, 0, IfXdp.Statistics.SIZE);
        int r = XskSyscalls.getsockopt(fd(), XskSyscalls.SOL_XDP, IfXdp.XDP_STATISTICS, statsBuf, lenBuf);
        if (r < 0) throw BpfException.of("getsockopt XDP_STATISTICS on " + this, -r);
        return XskStatistics.read(statsBuf);
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("AF_XDP socket on " + ifname + " queue " + queue + " is closed");
    }

    public boolean isOpen() {
        return !closed;
    }

    /**
     * Unmaps the rings and closes the socket: the kernel removes it from every XSKMAP and
     * drops its reference to the UMEM. Frames that were in this socket's own rings are
     * gone with them. The socket bound with the UMEM's fd only unmaps its rings here; the
     * fd closes with the UMEM.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        umem.detach(this);
        if (rx != null) rx.close();
        if (tx != null) tx.close();
        if (ownsUmemRings) {
            fill.close();
            completion.close();
        }
        if (fd != null) fd.close();
        arena.close();
    }

    public String ifname() {
        return ifname;
    }

    public int ifindex() {
        return ifindex;
    }

    public int queue() {
        return queue;
    }

    public Umem umem() {
        return umem;
    }

    public XskConfig config() {
        return config;
    }

    /** The socket's fd: what an XSKMAP entry must hold for XDP programs to redirect here. */
    public int fd() {
        checkOpen();
        return fd != null ? fd.get() : umem.fd();
    }

    /** Whether the kernel bound this socket in zero-copy mode (XDP_OPTIONS); false means copy mode. */
    public boolean zeroCopy() {
        return zeroCopy;
    }

    public ConsumerRing rxRing() {
        return rx;
    }

    public ProducerRing txRing() {
        return tx;
    }

    public ProducerRing fillRing() {
        return fill;
    }

    public ConsumerRing completionRing() {
        return completion;
    }

    @Override
    public String toString() {
        return "XskSocket[" + ifname + " queue " + queue + (zeroCopy ? " zero-copy" : " copy") + (closed ? " closed" : " fd " + fd()) + "]";
    }
}
