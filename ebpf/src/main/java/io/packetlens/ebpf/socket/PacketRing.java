package io.packetlens.ebpf.socket;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.link.Interfaces;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Mmap;
import io.packetlens.ebpf.sys.Sockets;
import io.packetlens.ebpf.sys.XskSyscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * An AF_PACKET socket with a TPACKET_V3 receive ring mapped into this process: the way to see an interface's frames
 * without BPF (what tcpdump and softflowd use). The kernel copies each frame (up to the snap length) into the next
 * free block of the ring, behind a {@code struct tpacket3_hdr}; a block goes to user space when it is full or its
 * retire timeout has passed, and {@link #read} walks the blocks that are ready, hands every frame to a
 * {@link PacketHandler} where it lies in the ring, and gives each block back. Frames that find no free block are
 * dropped by the kernel and counted ({@link #statistics()}): nothing is lost silently.
 *
 * <p>Needs CAP_NET_RAW, nothing else: no bpf(2). The snap length is set with a one-instruction classic BPF socket
 * filter ({@code ret #snaplen}, SO_ATTACH_FILTER), which any socket owner may attach. The socket lives in the network
 * namespace of the thread that opens it. A frame whose outer VLAN tag the device took out of it (VLAN acceleration,
 * veth included) comes without those 4 bytes, with the tag in {@link Frame#vlanTci()}; {@link Frame#wireLength()}
 * counts them again.
 *
 * <p>{@link #read} and {@link #poll} allocate nothing. Not thread-safe: one thread reads a ring; {@link #statistics()}
 * may be called from any thread. Close only once the reading thread has stopped.
 */
public final class PacketRing implements AutoCloseable {
    private static final VarHandle U32 = JAVA_INT.varHandle();
    private static final int ENOPROTOOPT = 92, ENETDOWN = 100, SO_ERROR = 4;

    private final Fd fd;
    private final String ifname;
    private final int ifindex;
    private final PacketRingConfig config;
    private final Arena arena = Arena.ofShared();
    /** The ring's mapping: closing it unmaps the ring. */
    private final Arena mapping;
    private final MemorySegment ring;
    private final int blockSize;
    private final int blockCount;
    /** Whether outgoing frames must be skipped here because the kernel has no PACKET_IGNORE_OUTGOING. */
    private final boolean skipOutgoing;
    private final MemorySegment pollfd;
    private final Frame frame = new Frame();
    private final Object statsLock = new Object();
    private final MemorySegment statsBuf;
    private final MemorySegment statsLen;
    private final MemorySegment errBuf;
    private PacketRingStatistics stats = PacketRingStatistics.ZERO;
    private int current;
    private long frames;
    private long blocks;
    private boolean closed;

    private PacketRing(Fd fd, String ifname, int ifindex, PacketRingConfig config, Arena mapping, MemorySegment ring, boolean skipOutgoing) {
        this.fd = fd;
        this.mapping = mapping;
        this.ifname = ifname;
        this.ifindex = ifindex;
        this.config = config;
        this.ring = ring;
        this.blockSize = config.blockSize();
        this.blockCount = config.blockCount();
        this.skipOutgoing = skipOutgoing;
        this.pollfd = arena.allocate(XskSyscalls.POLLFD_SIZE, 8);
        pollfd.set(JAVA_INT, 0, fd.get());
        this.statsBuf = arena.allocate(IfPacket.StatsV3.SIZE, 8);
        this.statsLen = arena.allocate(JAVA_INT);
        this.errBuf = arena.allocate(8, 4); // the error, then its length (the poll thread's own buffer)
    }

    /**
     * Opens a ring on interface {@code ifname} of the calling thread's network namespace. The socket is bound to the
     * interface last, once the ring and the snap-length filter are in place, so the first frame it takes is already
     * in the ring. Missing CAP_NET_RAW, a missing interface or a ring the kernel refuses fail with a message saying so,
     * and nothing stays open.
     */
    public static PacketRing open(String ifname, PacketRingConfig config) {
        int ifindex = Interfaces.index(ifname);
        // protocol 0: the socket takes no frame until it is bound below
        int s = Sockets.socket(Sockets.AF_PACKET, Sockets.SOCK_RAW | Sockets.SOCK_CLOEXEC, 0);
        if (s < 0) {
            String hint = s == -Errno.EPERM || s == -Errno.EACCES ? " (packet sockets need CAP_NET_RAW)" : "";
            throw new BpfException("create AF_PACKET socket for " + ifname + ": " + Errno.name(-s) + hint, -s, null);
        }
        Fd fd = new Fd(s);
        Arena mapping = Arena.ofShared();
        try (Arena setup = Arena.ofConfined()) {
            check(Sockets.setsockopt(s, IfPacket.SOL_PACKET, IfPacket.PACKET_VERSION, IfPacket.TPACKET_V3),
                    "set PACKET_VERSION TPACKET_V3 on " + ifname + " (kernel 3.2+)");
            if (config.snapLength() < PacketRingConfig.MAX_SNAP_LENGTH) attachFilter(s, config.snapLength(), setup, ifname);
            boolean skipOutgoing = false;
            if (config.incomingOnly()) {
                int r = Sockets.setsockopt(s, IfPacket.SOL_PACKET, IfPacket.PACKET_IGNORE_OUTGOING, 1);
                if (r == -ENOPROTOOPT || r == -Errno.EINVAL) skipOutgoing = true; // before 4.20: skipped by packet type here
                else check(r, "set PACKET_IGNORE_OUTGOING on " + ifname);
            }
            MemorySegment req = setup.allocate(IfPacket.Req3.SIZE, 4);
            int frameSize = Math.min(config.blockSize(), 2048);
            req.set(JAVA_INT, IfPacket.Req3.BLOCK_SIZE, config.blockSize());
            req.set(JAVA_INT, IfPacket.Req3.BLOCK_NR, config.blockCount());
            req.set(JAVA_INT, IfPacket.Req3.FRAME_SIZE, frameSize);
            req.set(JAVA_INT, IfPacket.Req3.FRAME_NR, config.blockSize() / frameSize * config.blockCount());
            req.set(JAVA_INT, IfPacket.Req3.RETIRE_BLK_TOV, (int) config.retireTimeout().toMillis());
            int r = Sockets.setsockopt(s, IfPacket.SOL_PACKET, IfPacket.PACKET_RX_RING, req);
            if (r < 0) {
                String hint = r == -Errno.ENOMEM ? ": out of memory for " + config.ringBytes() + " bytes (smaller or fewer blocks?)"
                        : r == -Errno.EINVAL ? ": the kernel refused the geometry (" + config.blockCount() + " blocks of " + config.blockSize()
                        + " bytes; a block must be a power-of-two number of pages)" : "";
                throw new BpfException("set PACKET_RX_RING on " + ifname + ": " + Errno.name(-r) + hint, -r, null);
            }
            MemorySegment ring = Mmap.map(s, 0, config.ringBytes(), Mmap.PROT_READ | Mmap.PROT_WRITE, mapping, "TPACKET_V3 ring of " + ifname);
            MemorySegment sa = SocketAddresses.link(setup, NativeSocket.ETH_P_ALL, ifindex);
            r = Sockets.bind(s, sa);
            if (r < 0) {
                String hint = r == -ENETDOWN ? " (" + ifname + " is down)" : r == -Errno.ENODEV ? " (no such device)" : "";
                throw new BpfException("bind AF_PACKET socket to " + ifname + ": " + Errno.name(-r) + hint, -r, null);
            }
            return new PacketRing(fd, ifname, ifindex, config, mapping, ring, skipOutgoing);
        } catch (RuntimeException e) {
            mapping.close();
            fd.close();
            throw e;
        }
    }

    private static void check(int r, String what) {
        if (r < 0) throw new BpfException(what + ": " + Errno.describe(-r), -r, null);
    }

    /**
     * Attaches the classic BPF program {@code ret #length}: the kernel then copies at most {@code length} bytes of a
     * frame (0: takes no frame at all). A socket filter, checked by the kernel's classic BPF checker, not bpf(2).
     */
    private static void attachFilter(int fd, int length, Arena arena, String ifname) {
        MemorySegment insn = arena.allocate(IfPacket.SockFilter.SIZE, 8);
        insn.set(JAVA_SHORT, IfPacket.SockFilter.CODE, IfPacket.SockFilter.RET_K);
        insn.set(JAVA_BYTE, IfPacket.SockFilter.JT, (byte) 0);
        insn.set(JAVA_BYTE, IfPacket.SockFilter.JF, (byte) 0);
        insn.set(JAVA_INT, IfPacket.SockFilter.K, length);
        MemorySegment prog = arena.allocate(IfPacket.SockFprog.SIZE, 8);
        prog.set(JAVA_SHORT, IfPacket.SockFprog.LEN, (short) 1);
        prog.set(ADDRESS, IfPacket.SockFprog.FILTER, insn);
        check(Sockets.setsockopt(fd, Sockets.SOL_SOCKET, IfPacket.SO_ATTACH_FILTER, prog),
                "attach the snap-length socket filter (SO_ATTACH_FILTER) on " + ifname);
    }

    /**
     * Makes the kernel take no more frames (a socket filter that accepts none), leaving the frames already in the ring
     * to {@link #read}. Frames already past the filter on another CPU may still land in the ring; a block that is not
     * full arrives after the retire timeout, so read until nothing came for longer than that ({@link #drain}).
     */
    public void stopIntake() {
        try (Arena a = Arena.ofConfined()) {
            attachFilter(fd.get(), 0, a, ifname);
        }
    }

    /**
     * Reads until no block has become ready for twice the retire timeout (at most {@code maxWaitMillis} in all); for
     * the end of a capture, after {@link #stopIntake()}. Returns the frames handed to {@code handler}.
     */
    public long drain(PacketHandler handler, long maxWaitMillis) {
        long quiet = 2 * config.retireTimeout().toMillis() + 5;
        long end = System.nanoTime() + maxWaitMillis * 1_000_000;
        long n = 0;
        long lastFrameAt = System.nanoTime();
        while (System.nanoTime() < end) {
            int got = read(Integer.MAX_VALUE, handler);
            n += got;
            long now = System.nanoTime();
            if (got > 0) lastFrameAt = now;
            else if (now - lastFrameAt > quiet * 1_000_000) break;
            else poll((int) Math.max(1, Math.min(quiet, (end - now) / 1_000_000)));
        }
        return n;
    }

    /** Whether the block {@link #read} looks at next is ready (the kernel handed it over). */
    public boolean ready() {
        return ((int) U32.getAcquire(ring, (long) current * blockSize + IfPacket.BlockDesc.BLOCK_STATUS) & IfPacket.TP_STATUS_USER) != 0;
    }

    /**
     * Waits up to {@code timeoutMillis} (0: just look; -1: forever) for a block to become ready. Returns whether one
     * is; an interrupted wait (EINTR) says no. A socket error (the interface went down or away) is thrown.
     */
    public boolean poll(int timeoutMillis) {
        if (ready()) return true;
        pollfd.set(JAVA_SHORT, 4, (short) (XskSyscalls.POLLIN | XskSyscalls.POLLERR));
        pollfd.set(JAVA_SHORT, 6, (short) 0);
        int r = XskSyscalls.poll(pollfd, 1, timeoutMillis);
        if (r < 0 && r != -Errno.EINTR) throw BpfException.of("poll on " + this, -r);
        if (r > 0 && (pollfd.get(JAVA_SHORT, 6) & XskSyscalls.POLLERR) != 0 && !ready()) {
            // a pending socket error (the interface went away: ENETDOWN); reading SO_ERROR clears it
            errBuf.set(JAVA_INT, 4, 4);
            int e = XskSyscalls.getsockopt(fd.get(), Sockets.SOL_SOCKET, SO_ERROR, errBuf, errBuf.asSlice(4)) < 0 ? 0 : errBuf.get(JAVA_INT, 0);
            if (e != 0) throw new BpfException(this + ": " + Errno.name(e) + (e == ENETDOWN ? " (the interface is down or gone)" : ""), e, null);
        }
        return ready();
    }

    /**
     * Hands every frame of up to {@code maxBlocks} ready blocks to {@code handler}, in the order the kernel wrote them,
     * giving each block back to the kernel once its frames are done. Returns the number of frames handed over; 0 when
     * no block was ready (it does not wait: see {@link #poll}). If the handler throws, the block still goes back to the
     * kernel (the rest of its frames are not handed out) and the exception propagates.
     */
    public int read(int maxBlocks, PacketHandler handler) {
        int handed = 0;
        for (int b = 0; b < maxBlocks; b++) {
            long base = (long) current * blockSize;
            int status = (int) U32.getAcquire(ring, base + IfPacket.BlockDesc.BLOCK_STATUS);
            if ((status & IfPacket.TP_STATUS_USER) == 0) break;
            try {
                int n = ring.get(JAVA_INT, base + IfPacket.BlockDesc.NUM_PKTS);
                long hdr = base + Integer.toUnsignedLong(ring.get(JAVA_INT, base + IfPacket.BlockDesc.OFFSET_TO_FIRST_PKT));
                for (int i = 0; i < n; i++) {
                    frame.read(ring, hdr);
                    if (!(skipOutgoing && frame.outgoing())) {
                        handler.onFrame(ring, hdr + frame.mac, frame);
                        handed++;
                    }
                    hdr += Integer.toUnsignedLong(ring.get(JAVA_INT, hdr + IfPacket.Hdr3.NEXT_OFFSET));
                }
            } finally {
                // the frames are done with: the block is the kernel's again
                U32.setRelease(ring, base + IfPacket.BlockDesc.BLOCK_STATUS, IfPacket.TP_STATUS_KERNEL);
                current = current + 1 == blockCount ? 0 : current + 1;
                blocks++;
            }
        }
        frames += handed;
        return handed;
    }

    /**
     * The kernel's counters since the ring was opened: frames taken in, dropped for want of a free block, and how often
     * the ring froze full. Reads PACKET_STATISTICS (which resets the kernel's counts) and adds it to what earlier reads
     * found. Any thread.
     */
    public PacketRingStatistics statistics() {
        synchronized (statsLock) {
            if (closed) return stats;
            statsLen.set(JAVA_INT, 0, IfPacket.StatsV3.SIZE);
            int r = XskSyscalls.getsockopt(fd.get(), IfPacket.SOL_PACKET, IfPacket.PACKET_STATISTICS, statsBuf, statsLen);
            if (r < 0) throw BpfException.of("getsockopt PACKET_STATISTICS on " + this, -r);
            stats = stats.plus(new PacketRingStatistics(Integer.toUnsignedLong(statsBuf.get(JAVA_INT, IfPacket.StatsV3.PACKETS)),
                    Integer.toUnsignedLong(statsBuf.get(JAVA_INT, IfPacket.StatsV3.DROPS)),
                    Integer.toUnsignedLong(statsBuf.get(JAVA_INT, IfPacket.StatsV3.FREEZE_Q_CNT))));
            return stats;
        }
    }

    /** Frames handed out by {@link #read} since open. */
    public long frames() {
        return frames;
    }

    /** Blocks given back to the kernel since open. */
    public long blocks() {
        return blocks;
    }

    public String ifname() {
        return ifname;
    }

    public int ifindex() {
        return ifindex;
    }

    public PacketRingConfig config() {
        return config;
    }

    /** The socket's fd (e.g. to poll several rings at once). */
    public int fd() {
        return fd.get();
    }

    public boolean isOpen() {
        return !closed;
    }

    /** Unmaps the ring and closes the socket; the kernel frees the ring. Frames still in it are gone. Idempotent. */
    @Override
    public void close() {
        synchronized (statsLock) {
            if (closed) return;
            try {
                statistics(); // the last counts, kept for statistics() after close
            } catch (RuntimeException ignored) {
                // the counts so far stay
            }
            closed = true;
        }
        try {
            mapping.close();
        } finally {
            fd.close();
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "PacketRing[" + ifname + " (#" + ifindex + "), " + blockCount + " x " + blockSize + " bytes" + (closed ? ", closed" : "") + "]";
    }

    /**
     * What the kernel wrote about one frame ({@code struct tpacket3_hdr} and the {@code sockaddr_ll} behind it), read
     * into one reused object: valid during {@link PacketHandler#onFrame} only.
     */
    public static final class Frame {
        private int snapLength, length, status, vlanTci, vlanTpid, packetType, ifindex, mac;
        private long timestampNanos;

        Frame() {}

        void read(MemorySegment ring, long hdr) {
            snapLength = ring.get(JAVA_INT, hdr + IfPacket.Hdr3.SNAPLEN);
            length = ring.get(JAVA_INT, hdr + IfPacket.Hdr3.LEN);
            status = ring.get(JAVA_INT, hdr + IfPacket.Hdr3.STATUS);
            mac = Short.toUnsignedInt(ring.get(JAVA_SHORT, hdr + IfPacket.Hdr3.MAC));
            timestampNanos = Integer.toUnsignedLong(ring.get(JAVA_INT, hdr + IfPacket.Hdr3.SEC)) * 1_000_000_000L
                    + Integer.toUnsignedLong(ring.get(JAVA_INT, hdr + IfPacket.Hdr3.NSEC));
            vlanTci = (status & IfPacket.TP_STATUS_VLAN_VALID) != 0 ? ring.get(JAVA_INT, hdr + IfPacket.Hdr3.VLAN_TCI) & 0xffff : -1;
            vlanTpid = (status & IfPacket.TP_STATUS_VLAN_TPID_VALID) != 0 ? Short.toUnsignedInt(ring.get(JAVA_SHORT, hdr + IfPacket.Hdr3.VLAN_TPID))
                    : vlanTci >= 0 ? 0x8100 : 0;
            long sll = hdr + IfPacket.Hdr3.SOCKADDR_LL;
            packetType = Byte.toUnsignedInt(ring.get(JAVA_BYTE, sll + IfPacket.SockaddrLl.PKTTYPE));
            ifindex = ring.get(JAVA_INT, sll + IfPacket.SockaddrLl.IFINDEX);
        }

        /** Bytes of the frame in the ring (at most the snap length). */
        public int snapLength() {
            return snapLength;
        }

        /** The frame's length as the kernel had it ({@code skb->len}), without a tag the device took out. */
        public int length() {
            return length;
        }

        /** The frame's length on the wire: {@link #length()} plus the 4 bytes of a tag the device took out. */
        public int wireLength() {
            return vlanTci >= 0 ? length + 4 : length;
        }

        /** The kernel's receive time ({@code tp_sec}, {@code tp_nsec}), CLOCK_REALTIME nanoseconds. */
        public long timestampNanos() {
            return timestampNanos;
        }

        /** The outer VLAN tag's TCI (priority, DEI, id) when the device took it out of the frame, else -1. */
        public int vlanTci() {
            return vlanTci;
        }

        /** That tag's TPID (0x8100 or 0x88a8), 0 without one. */
        public int vlanTpid() {
            return vlanTpid;
        }

        /** {@code sll_pkttype}: PACKET_HOST (0), BROADCAST, MULTICAST, OTHERHOST, OUTGOING (4) ... */
        public int packetType() {
            return packetType;
        }

        /** Whether this host sent the frame (PACKET_OUTGOING) rather than received it. */
        public boolean outgoing() {
            return packetType == IfPacket.PACKET_OUTGOING;
        }

        /** The interface the frame crossed. */
        public int ifindex() {
            return ifindex;
        }

        /** {@code tp_status}: TP_STATUS_* bits (VLAN valid, checksum not ready, losing ...). */
        public int status() {
            return status;
        }

        /** Whether the kernel had already dropped frames of this socket when it wrote this one (TP_STATUS_LOSING). */
        public boolean losing() {
            return (status & IfPacket.TP_STATUS_LOSING) != 0;
        }
    }
}
