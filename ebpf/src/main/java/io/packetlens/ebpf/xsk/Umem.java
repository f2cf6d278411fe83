package io.packetlens.ebpf.xsk;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A UMEM: an anonymous memory area divided into equal frames, registered with the kernel
 * through XDP_UMEM_REG on an AF_XDP socket (created with the first {@link XskSocket}),
 * with that socket's fill and completion rings.
 * Received frames are written here by the kernel and sent frames read from here, so
 * packets cross between kernel and Java without a copy through a socket buffer. Frames are
 * named by their byte offset in the area (a "UMEM address").
 *
 * <p>The UMEM keeps the frames that are in no ring on a free stack ({@link #allocFrame},
 * {@link #freeFrame}). Sockets created with {@link XskSocket#open} share it; the first uses
 * the UMEM's own fd and rings, later ones bind with XDP_SHARED_UMEM. Closing the UMEM closes
 * its sockets first, then unmaps the rings, closes the fd (the kernel unpins the pages when
 * the last socket using them is gone) and unmaps the area. Not thread-safe.
 */
public final class Umem implements AutoCloseable {
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS_POPULATE = 0x02 | 0x20 | 0x8000;

    private final UmemConfig config;
    private final MemorySegment area;
    private final long[] free;
    private int freeCount;
    private final List<XskSocket> sockets = new ArrayList<>();
    /** Created with the first socket, in that thread's network namespace (see {@link #register()}). */
    private Fd fd;
    private ProducerRing fill;
    private ConsumerRing completion;
    /** Whether a socket has been bound with the UMEM's own fd (a bound fd cannot be bound again). */
    private boolean fdTaken;
    private int ownerIfindex = -1;
    private int ownerQueue = -1;
    private boolean closed;

    private Umem(UmemConfig config, MemorySegment area) {
        this.config = config;
        this.area = area;
        this.free = new long[config.frameCount()];
        // pushed in reverse so that allocation hands out frame 0 first
        for (int i = config.frameCount() - 1; i >= 0; i--) free[freeCount++] = (long) i * config.frameSize();
    }

    /**
     * Maps the area. The kernel registration (XDP_UMEM_REG on a new AF_XDP socket, fill and
     * completion rings) happens when the first socket opens, on that thread: an AF_XDP socket
     * binds to an ifindex of the network namespace it was created in, and the first socket is
     * the UMEM's own, so creating it early on another thread could bind it to the wrong device.
     */
    public static Umem create(UmemConfig config) {
        long len = config.areaSize();
        long addr = Syscalls.mmap(0, len, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS_POPULATE, -1, 0);
        if (addr < 0) throw BpfException.of("mmap of a " + len + "-byte UMEM area", (int) -addr);
        return new Umem(config, MemorySegment.ofAddress(addr).reinterpret(len));
    }

    /** Registers the area on a new AF_XDP socket and maps its fill and completion rings (once). */
    void register() {
        checkOpen();
        if (fd != null) return;
        long len = config.areaSize();
        Fd sock = null;
        ProducerRing f = null;
        try (Arena arena = Arena.ofConfined()) {
            sock = new Fd(XskOptions.newSocket());
            MemorySegment reg = arena.allocate(IfXdp.UmemReg.SIZE, 8);
            reg.set(JAVA_LONG, IfXdp.UmemReg.ADDR, area.address());
            reg.set(JAVA_LONG, IfXdp.UmemReg.LEN, len);
            reg.set(JAVA_INT, IfXdp.UmemReg.CHUNK_SIZE, config.frameSize());
            reg.set(JAVA_INT, IfXdp.UmemReg.HEADROOM, config.headroom());
            try {
                XskOptions.set(sock.get(), IfXdp.XDP_UMEM_REG, reg, "XDP_UMEM_REG");
            } catch (BpfException e) {
                if (e.errno() == Errno.ENOMEM || e.errno() == Errno.ENOBUFS) {
                    throw new BpfException("registering a " + (len >> 20) + " MiB UMEM failed: " + e.getMessage()
                            + " (the pages are pinned and charged to RLIMIT_MEMLOCK without CAP_IPC_LOCK: use fewer frames or raise the limit)", e);
                }
                throw e;
            }
            XskOptions.setInt(sock.get(), IfXdp.XDP_UMEM_FILL_RING, config.fillSize(), "XDP_UMEM_FILL_RING");
            XskOptions.setInt(sock.get(), IfXdp.XDP_UMEM_COMPLETION_RING, config.completionSize(), "XDP_UMEM_COMPLETION_RING");
            MemorySegment off = XskOptions.mmapOffsets(sock.get(), arena);
            f = new ProducerRing(RingKind.FILL, XskRing.mapRing(sock.get(), RingKind.FILL, off, config.fillSize()), off, config.fillSize());
            completion = new ConsumerRing(RingKind.COMPLETION,
                    XskRing.mapRing(sock.get(), RingKind.COMPLETION, off, config.completionSize()), off, config.completionSize());
            fill = f;
            fd = sock;
        } catch (RuntimeException e) {
            if (f != null) f.close();
            if (sock != null) sock.close();
            throw e;
        }
    }

    public UmemConfig config() {
        return config;
    }

    /** The whole area; frame data lives at UMEM addresses (offsets) in it. */
    public MemorySegment area() {
        checkOpen();
        return area;
    }

    public int frameSize() {
        return config.frameSize();
    }

    public int frameCount() {
        return config.frameCount();
    }

    /** The fd the UMEM is registered on (the one XDP_SHARED_UMEM binds refer to). */
    public int fd() {
        if (fd == null) throw new IllegalStateException("UMEM not registered yet: it is registered when its first socket opens");
        return fd.get();
    }

    /** The start of the frame containing UMEM address {@code addr} (aligned chunk mode). */
    public long frameOf(long addr) {
        return addr & ~(long) (config.frameSize() - 1);
    }

    /** Takes a frame from the free stack; -1 if every frame is in a ring or in use. */
    public long allocFrame() {
        return freeCount == 0 ? -1 : free[--freeCount];
    }

    /** Returns a frame (any address inside it) to the free stack. */
    public void freeFrame(long addr) {
        if (freeCount == free.length) throw new IllegalStateException("UMEM free stack overflow: frame " + addr + " freed twice?");
        free[freeCount++] = frameOf(addr);
    }

    /** Frames on the free stack. */
    public int freeFrames() {
        return freeCount;
    }

    /** The UMEM's own fill ring (used by the first socket, and by sockets sharing its device and queue); null before the first socket. */
    public ProducerRing fillRing() {
        return fill;
    }

    /** The UMEM's own completion ring. */
    public ConsumerRing completionRing() {
        return completion;
    }

    /**
     * Drops a registration whose first bind failed: the kernel accepts ring sizes only once
     * per socket, so the next attempt needs a fresh socket.
     */
    void unregisterUnbound() {
        if (fdTaken || fd == null) return;
        fill.close();
        completion.close();
        fd.close();
        fill = null;
        completion = null;
        fd = null;
    }

    /** Whether the next socket binds with the UMEM's own fd (no socket has yet). */
    boolean fdFree() {
        checkOpen();
        return !fdTaken;
    }

    /** Where the socket that took the UMEM's fd (and fill/completion rings) is bound. */
    boolean ownerBoundTo(int ifindex, int queue) {
        return fdTaken && ownerIfindex == ifindex && ownerQueue == queue;
    }

    /**
     * Registers a bound socket. The one bound with the UMEM's fd keeps that kernel socket
     * alive until the UMEM closes, even if its XskSocket closes earlier, because later
     * sockets name the fd in XDP_SHARED_UMEM.
     */
    void register(XskSocket s, boolean usesFd) {
        sockets.add(s);
        if (usesFd) {
            fdTaken = true;
            ownerIfindex = s.ifindex();
            ownerQueue = s.queue();
        }
    }

    void detach(XskSocket s) {
        sockets.remove(s);
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("UMEM closed");
    }

    /** Closes every socket still using the UMEM, then the rings, the fd and the area. */
    @Override
    public void close() {
        if (closed) return;
        for (XskSocket s : List.copyOf(sockets)) s.close();
        closed = true;
        if (fd != null) {
            fill.close();
            completion.close();
            fd.close();
        }
        Syscalls.munmap(area.address(), area.byteSize());
    }

    @Override
    public String toString() {
        return "Umem[" + config.frameCount() + " x " + config.frameSize() + " B, " + freeCount + " free"
                + (fd == null ? ", unregistered" : ", " + fd) + "]";
    }
}
