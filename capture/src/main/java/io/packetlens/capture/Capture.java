package io.packetlens.capture;

import io.packetlens.capture.pcapng.InterfaceStatistics;
import io.packetlens.capture.pcapng.PcapngWriter;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.EpollReader;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.ringbuf.RecordRangeHandler;
import io.packetlens.ebpf.ringbuf.RingBufReader;
import io.packetlens.ebpf.socket.PacketHandler;
import io.packetlens.ebpf.socket.PacketRing;
import io.packetlens.ebpf.socket.PacketRingConfig;
import io.packetlens.ebpf.socket.PacketRingStatistics;
import io.packetlens.packet.PacketFields;
import io.packetlens.ebpf.xsk.DeviceQueues;
import io.packetlens.ebpf.xsk.RxHandler;
import io.packetlens.ebpf.xsk.Umem;
import io.packetlens.ebpf.xsk.UmemConfig;
import io.packetlens.ebpf.xsk.XskConfig;
import io.packetlens.ebpf.xsk.XskPoller;
import io.packetlens.ebpf.xsk.XskSocket;
import io.packetlens.ebpf.xsk.XskStatistics;
import io.packetlens.programs.capture.CaptureLayout;
import io.packetlens.programs.capture.CaptureMode;
import io.packetlens.programs.capture.CaptureProgram;
import io.packetlens.programs.capture.ProgramCounters;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * A packet capture from one interface to a pcapng file. In {@link CaptureMode#MIRROR} mode
 * (the default) the XDP program copies matching frames into a ring buffer and passes them
 * on; in {@link CaptureMode#STEAL} mode it redirects them into one AF_XDP socket per RX queue
 * (sharing one UMEM) and the host never sees them. Either way each frame is written from
 * where the kernel put it (ring buffer or UMEM) straight into the file buffer, and the
 * frame loop allocates nothing. The ring buffer is read with the library's
 * {@link RingBufReader}, which hands each record over as a range of the mapped ring.
 *
 * <p>{@link #open} must run on a thread in the interface's network namespace; {@link #run}
 * may run anywhere. {@link #close} may come from another thread while {@link #run} is
 * capturing: it makes run return (at once in mirror mode, where it wakes the blocked read;
 * within 100 ms in steal mode) and waits for it, then detaches the program (the host gets its
 * frames back at once), releases the sockets and the UMEM, writes the interface statistics
 * block and closes the file.
 *
 * <p>When the capture program cannot be loaded or attached (no CAP_BPF, a kernel without what it needs, an XDP hook
 * another program holds) and {@link CaptureOptions#fallback()} allows it, the capture says so loudly and reads the
 * interface's frames from an AF_PACKET TPACKET_V3 ring instead ({@link PacketRing}, CAP_NET_RAW only), into the same
 * pcapng file: received frames only, as at XDP; the filter applied in Java to what the flow parser reads
 * ({@link FilterMatcher}, the kernel filter's semantics); an outer VLAN tag the device took out put back into the
 * frame, as libpcap does. What differs: every frame is copied to user space before the filter; frames the ring has
 * no room for are dropped before the filter (counted as dropped, matching or not); steal mode cannot steal (the host
 * keeps its frames).
 */
public final class Capture implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("packetlens.capture");
    private static final int BATCH = 256;
    /**
     * The longest pause after catching up with the kernel: each look that finds the ring
     * empty costs a poll() and a wake-up for the next frame or two, while a pause lets frames
     * accumulate and be taken in large batches (in the benchmark, 5 ms instead of 0.2 ms
     * halved the capture thread's CPU time). The actual pause is shorter for small buffers:
     * at most the time to fill a quarter of them at 1 M frames/s.
     */
    private static final long MAX_CATCH_UP_PAUSE_NANOS = 5_000_000;
    /** Mirror mode ring buffer bytes per record of a minimal frame (8 header + 24 metadata + 60 frame, aligned). */
    private static final int MIN_RECORD_BYTES = 96;
    /** When idle, the file is flushed at most this often, so a live capture is readable without tiny writes. */
    private static final long IDLE_FLUSH_NANOS = 100_000_000;

    private final CaptureOptions options;
    private final CaptureProgram program;
    private final PcapngWriter writer;
    private final int iface;
    private final long clockOffset;
    private final long startNanos;
    private final int snaplen;
    private final XdpLink link;
    private final Umem umem;
    private final List<XskSocket> sockets;
    /** Mirror mode: reads the program's ring buffer into {@link #mirrorHandler}; null in steal mode. */
    private final RingBufReader ring;
    private final Arena arena = Arena.ofShared();
    private final XskPoller poller;
    private final StealHandler stealHandler = new StealHandler();
    private final MirrorHandler mirrorHandler = new MirrorHandler();
    private final long pauseNanos;
    /** Held by {@link #run} while it captures, so that {@link #close} can wait for it to leave the rings and the file. */
    private final ReentrantLock running = new ReentrantLock();
    /** The AF_PACKET fallback's ring, or null when the capture program runs. */
    private final PacketRing packetRing;
    private final String fallbackReason;
    private final FallbackHandler fallbackHandler;
    /** Frames are written until {@link #written} reaches this (the count of the current run, or of the last). */
    private long stopAt = Long.MAX_VALUE;
    private long written;
    private volatile boolean closed;

    private Capture(CaptureOptions options, CaptureProgram program, PcapngWriter writer, int iface, int snaplen,
                    Umem umem, List<XskSocket> sockets, RingBufReader ring, XdpLink link) {
        this(options, program, writer, iface, snaplen, umem, sockets, ring, link, null, null);
    }

    private Capture(CaptureOptions options, CaptureProgram program, PcapngWriter writer, int iface, int snaplen,
                    Umem umem, List<XskSocket> sockets, RingBufReader ring, XdpLink link, PacketRing packetRing, String fallbackReason) {
        this.packetRing = packetRing;
        this.fallbackReason = fallbackReason;
        this.fallbackHandler = packetRing == null ? null : new FallbackHandler(options.filter());
        this.options = options;
        this.program = program;
        this.writer = writer;
        this.iface = iface;
        this.snaplen = snaplen;
        this.umem = umem;
        this.sockets = sockets;
        this.ring = ring;
        this.link = link;
        Instant now = Instant.now();
        // bpf_ktime_get_ns() and System.nanoTime() both read CLOCK_MONOTONIC on Linux
        this.clockOffset = now.getEpochSecond() * 1_000_000_000L + now.getNano() - System.nanoTime();
        this.startNanos = System.nanoTime() + clockOffset;
        long capacity = ring != null || packetRing != null ? options.ringBytes() / MIN_RECORD_BYTES : options.framesPerQueue();
        this.pauseNanos = Math.min(MAX_CATCH_UP_PAUSE_NANOS, capacity * 250L);
        this.poller = new XskPoller(sockets, false, arena);
        // mapped here because the handler belongs to this capture; the reader itself (epoll set,
        // eventfd) was opened with the other resources, and open() closes it if this fails
        if (ring != null) {
            try {
                ring.add(program.ring(), mirrorHandler);
            } catch (RuntimeException e) {
                arena.close();
                throw e;
            }
        }
    }

    /**
     * Loads and attaches the capture program, opens the sockets or the ring buffer, and starts the pcapng file; or,
     * when the program cannot be loaded or attached and the options allow it, falls back to an AF_PACKET ring.
     */
    public static Capture open(CaptureOptions options, Path output) {
        try {
            return openXdp(options, output);
        } catch (BpfException e) {
            boolean noInterface = e instanceof BpfException.NotFoundException && e.getMessage().contains("network interface");
            if (!options.fallback() || noInterface) throw e;
            return openFallback(options, output, "the capture program could not be loaded or attached: " + e.getMessage());
        }
    }

    /**
     * Captures from an AF_PACKET TPACKET_V3 ring instead of XDP (see the class comment), saying loudly why. The ring
     * gets {@link CaptureOptions#ringBytes()} in 1 MiB blocks handed over after at most 10 ms.
     */
    static Capture openFallback(CaptureOptions options, Path output, String why) {
        LOG.log(System.Logger.Level.WARNING, why + System.lineSeparator()
                + "  FALLING BACK to AF_PACKET: frames are copied into a TPACKET_V3 ring and filtered in Java into the same pcapng file."
                + " What differs: every frame reaches user space before the filter (more CPU), frames the ring has no room for are"
                + " dropped and counted before the filter" + (options.mode() == CaptureMode.STEAL ? ", and steal mode cannot steal:"
                + " the host keeps receiving the frames" : "") + ". --no-fallback fails instead.");
        int snap = Math.min(options.snaplen(), PacketRingConfig.MAX_SNAP_LENGTH);
        PacketRingConfig rc = PacketRingConfig.defaults().blocks(1 << 20, Math.max(2, options.ringBytes() >> 20)).snapLength(snap);
        PacketRing pr = null;
        PcapngWriter writer = null;
        try {
            pr = PacketRing.open(options.ifname(), rc);
            writer = PcapngWriter.create(output, "packetlens capture");
            int iface = writer.addInterface(options.ifname(), "packetlens capture from AF_PACKET (fallback: the capture program could not"
                    + " run), filter: " + options.filter(), snap);
            writer.flush();
            return new Capture(options, null, writer, iface, snap, null, List.of(), null, null, pr, why);
        } catch (RuntimeException e) {
            if (writer != null) writer.close();
            if (pr != null) pr.close();
            throw new BpfException("the AF_PACKET fallback could not start on " + options.ifname() + " either: " + e.getMessage()
                    + " (it was needed because " + why + ")", e);
        }
    }

    private static Capture openXdp(CaptureOptions options, Path output) {
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            int snap = options.mode() == CaptureMode.MIRROR ? Math.min(options.snaplen(), CaptureLayout.SNAP_MAX) : options.snaplen();
            CaptureProgram program = CaptureProgram.load(options.filter(), snap, options.ringBytes());
            opened.add(program);
            Umem umem = null;
            List<XskSocket> sockets = new ArrayList<>();
            RingBufReader ring = null;
            if (options.mode() == CaptureMode.STEAL) {
                int queues = DeviceQueues.rxQueues(options.ifname()).orElse(1);
                int frames = options.framesPerQueue();
                // 2048-byte frames hold a full frame of a 1500-byte MTU after the kernel's 256-byte headroom and our
                // 16-byte metadata; larger MTUs need 4096 (bigger frames are dropped and counted as rx_dropped)
                int mtu = DeviceQueues.mtu(options.ifname()).orElse(1500);
                int frameSize = mtu + 14 + 8 + 256 + CaptureLayout.META_SIZE <= 2048 ? 2048 : 4096;
                umem = Umem.create(UmemConfig.defaults().frameCount(frames * queues).frameSize(frameSize).fillSize(frames).completionSize(64));
                opened.add(umem);
                for (int q = 0; q < queues; q++) {
                    XskSocket s = XskSocket.open(umem, options.ifname(), q,
                            XskConfig.rxOnly(frames).bindMode(options.bindMode()).fillFrames(frames).ownRings(frames, 64));
                    sockets.add(s);
                    program.addSocket(s);
                }
            } else {
                ring = new RingBufReader();
                opened.add(ring);
            }
            XdpLink link = program.attach(options.mode(), options.ifname(), options.xdpMode());
            PcapngWriter writer = PcapngWriter.create(output, "packetlens capture");
            opened.add(writer);
            String description = "packetlens " + options.mode().name().toLowerCase() + " capture at XDP ("
                    + link.mode().name().toLowerCase() + " mode" + (sockets.isEmpty() ? "" : sockets.getFirst().zeroCopy() ? ", zero-copy" : ", copy")
                    + "), filter: " + options.filter();
            int iface = writer.addInterface(options.ifname(), description, snap);
            writer.flush();
            return new Capture(options, program, writer, iface, snap, umem, sockets, ring, link);
        } catch (RuntimeException e) {
            for (int i = opened.size() - 1; i >= 0; i--) {
                try {
                    opened.get(i).close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    public CaptureOptions options() {
        return options;
    }

    /** The XDP attach mode in use (never AUTO); null in fallback. */
    public io.packetlens.ebpf.link.XdpMode xdpMode() {
        return link == null ? null : link.mode();
    }

    /** Whether the capture reads an AF_PACKET ring because the capture program could not run. */
    public boolean fallback() {
        return packetRing != null;
    }

    /** Why the capture fell back (the program's original error), or null. */
    public String fallbackReason() {
        return fallbackReason;
    }

    /** Steal mode: whether the sockets are bound zero-copy. */
    public boolean zeroCopy() {
        return !sockets.isEmpty() && sockets.getFirst().zeroCopy();
    }

    /** Steal mode: number of AF_XDP sockets (one per RX queue); 0 in mirror mode. */
    public int queues() {
        return sockets.size();
    }

    /**
     * Captures until {@code count} frames were written (0 = no limit), {@code duration} passed
     * (null = no limit), {@code stop} says so (looked at least every 100 ms) or the capture is
     * closed; returns the frames written by this call.
     */
    public long run(long count, Duration duration, BooleanSupplier stop) {
        running.lock();
        try {
            return capture(count, duration, stop);
        } finally {
            running.unlock();
        }
    }

    private long capture(long count, Duration duration, BooleanSupplier stop) {
        long before = written;
        stopAt = count <= 0 ? Long.MAX_VALUE : before + count;
        long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
        long lastFlush = System.nanoTime();
        while (!closed && !stop.getAsBoolean() && (count <= 0 || written - before < count)) {
            long now = System.nanoTime();
            if (now >= deadline) break;
            int budget = count <= 0 ? BATCH : (int) Math.min(BATCH, count - (written - before));
            int n;
            if (packetRing != null) {
                n = packetRing.read(1, fallbackHandler);
            } else if (ring != null) {
                n = ring.poll(budget);
            } else {
                n = 0;
                for (XskSocket s : sockets) {
                    if (n >= budget) break;
                    n += s.receive(budget - n, stealHandler);
                }
            }
            if (n == 0) {
                // idle: make what we have visible in the file now and then, and sleep until frames arrive
                if (now - lastFlush > IDLE_FLUSH_NANOS) {
                    writer.flush();
                    lastFlush = now;
                }
                int wait = (int) Math.max(1, Math.min(100, (deadline - now) / 1_000_000));
                // mirror mode: the read takes what arrives (close wakes it at once); steal mode: the next turn takes it
                if (packetRing != null) packetRing.poll(wait);
                else if (ring != null) n = ring.read(wait, budget);
                else poller.poll(wait);
            }
            if (n == EpollReader.CLOSED) break;
            if (n > 0 && n < budget) LockSupport.parkNanos(pauseNanos);
        }
        // once closed, close() flushes and closes the file
        if (!closed) writer.flush();
        return written - before;
    }

    /** Counts so far (reads the kernel's counters). */
    public CaptureStats stats() {
        if (packetRing != null) {
            PacketRingStatistics rs = packetRing.statistics();
            // seen: every frame the socket took, the ones it had no room for included
            return new CaptureStats(written, rs.packets(), fallbackHandler.matched, rs.drops(), 0);
        }
        ProgramCounters c = program.counters();
        long dropped;
        if (ring != null) {
            dropped = c.mirrorLost();
        } else {
            XskStatistics sum = XskStatistics.ZERO;
            for (XskSocket s : sockets) sum = sum.plus(s.statistics());
            dropped = sum.rxLost();
        }
        return new CaptureStats(written, c.seen(), c.matched(), dropped, c.noSocket());
    }

    /** Steal mode: frames received so far by the socket of each RX queue (index = queue id); empty in mirror mode. */
    public long[] framesPerQueue() {
        long[] out = new long[sockets.size()];
        for (XskSocket s : sockets) out[s.queue()] = s.rxFrames();
        return out;
    }

    /** Frames written to the file. */
    public long written() {
        return written;
    }

    /** Steal mode: the frame handler. Reads the metadata block the program put before the frame. */
    private final class StealHandler implements RxHandler {
        @Override
        public void onFrame(MemorySegment area, long offset, int length) {
            long ts;
            int orig = length;
            if (offset >= CaptureLayout.META_SIZE
                    && area.get(JAVA_INT_UNALIGNED, offset + CaptureLayout.META_MAGIC) == CaptureLayout.META_MAGIC_VALUE) {
                ts = area.get(JAVA_LONG_UNALIGNED, offset + CaptureLayout.META_TSTAMP) + clockOffset;
                orig = Math.max(length, area.get(JAVA_INT_UNALIGNED, offset + CaptureLayout.META_LEN));
                // cleared so that a later frame in this chunk without metadata is not given a stale time
                area.set(JAVA_INT_UNALIGNED, offset + CaptureLayout.META_MAGIC, 0);
            } else {
                ts = System.nanoTime() + clockOffset;
            }
            writer.writePacket(iface, ts, area, offset, Math.min(length, snaplen), orig);
            written++;
        }
    }

    /** Mirror mode: the ring buffer record handler (struct pl_cap_hdr, then the frame), given where the record lies in the ring. */
    private final class MirrorHandler implements RecordRangeHandler {
        @Override
        public void onRecord(MemorySegment data, long offset, int length) {
            long ts = data.get(JAVA_LONG_UNALIGNED, offset + CaptureLayout.HDR_TSTAMP) + clockOffset;
            int cap = data.get(JAVA_INT_UNALIGNED, offset + CaptureLayout.HDR_CAPLEN);
            int orig = data.get(JAVA_INT_UNALIGNED, offset + CaptureLayout.HDR_LEN);
            writer.writePacket(iface, ts, data, offset + CaptureLayout.HDR_SIZE, Math.min(cap, snaplen), orig);
            written++;
        }
    }

    /**
     * The fallback's frame handler: parses the frame as XDP would see it (an outer tag the device took out put back),
     * applies the filter, and writes it as it was on the wire.
     */
    private final class FallbackHandler implements PacketHandler {
        private final PacketFields fields = new PacketFields();
        private final FilterMatcher matcher;
        /** A frame with its outer VLAN tag put back (bytes 12..15), for the file. */
        private final MemorySegment tagged = arena.allocate(PacketRingConfig.MAX_SNAP_LENGTH + 4, 8);
        long matched;

        FallbackHandler(io.packetlens.programs.filter.CaptureFilter filter) {
            this.matcher = new FilterMatcher(filter);
        }

        @Override
        public void onFrame(MemorySegment data, long offset, PacketRing.Frame f) {
            int snap = f.snapLength(), tci = f.vlanTci();
            if (tci >= 0) fields.parseWithOuterTag(data, offset, snap, tci);
            else fields.parse(data, offset, snap, -1);
            if (!matcher.matches(fields)) return;
            matched++;
            if (written >= stopAt) return;
            if (tci >= 0 && snap >= 12) {
                MemorySegment.copy(data, offset, tagged, 0, 12);
                tagged.set(JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 12, (short) f.vlanTpid());
                tagged.set(JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 14, (short) tci);
                MemorySegment.copy(data, offset + 12, tagged, 16, snap - 12);
                writer.writePacket(iface, f.timestampNanos(), tagged, 0, Math.min(snap + 4, snaplen), f.wireLength());
            } else {
                writer.writePacket(iface, f.timestampNanos(), data, offset, Math.min(snap, snaplen), f.wireLength());
            }
            written++;
        }
    }

    /**
     * Stops a {@link #run} in progress and waits for it to return, then detaches the program,
     * releases sockets, UMEM and ring buffer, writes the interface statistics block and closes
     * the file. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        RuntimeException failure = null;
        if (ring != null) {
            // wakes a run() blocked in the read at once, waits for the read to return, then unmaps the ring
            try {
                ring.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        running.lock();
        try {
            if (packetRing != null) {
                // what the ring holds was received before the stop: written too (up to the count)
                try {
                    packetRing.stopIntake();
                    packetRing.drain(fallbackHandler, 1000);
                } catch (RuntimeException e) {
                    failure = e;
                }
            }
            CaptureStats s = null;
            try {
                s = stats();
            } catch (RuntimeException e) {
                if (failure == null) failure = e;
            }
            for (AutoCloseable c : new AutoCloseable[] {program, umem, packetRing}) {
                if (c == null) continue;
                try {
                    c.close();
                } catch (Exception e) {
                    if (failure == null) failure = e instanceof RuntimeException r ? r : new RuntimeException(e);
                }
            }
            try {
                if (s != null) {
                    writer.writeStatistics(iface, new InterfaceStatistics(startNanos, System.nanoTime() + clockOffset,
                            s.seen(), s.dropped(), s.matched(), s.missed(), s.written()));
                }
                writer.close();
            } catch (RuntimeException e) {
                if (failure == null) failure = e;
            }
            arena.close();
        } finally {
            running.unlock();
        }
        if (failure != null) throw failure;
    }
}
