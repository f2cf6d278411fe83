package io.packetlens.flow;

import io.packetlens.ebpf.socket.PacketHandler;
import io.packetlens.ebpf.socket.PacketRing;
import io.packetlens.ebpf.socket.PacketRingConfig;
import io.packetlens.ebpf.socket.PacketRingStatistics;
import io.packetlens.packet.PacketFields;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The flow program's fallback for when it cannot be loaded or attached (no CAP_BPF, a kernel without what it needs, a
 * verifier rejection, an XDP hook another program holds): the same flow table, filled in Java from AF_PACKET.
 * {@link #attach} opens a TPACKET_V3 ring ({@link PacketRing}) on an interface and a thread that reads it; each frame
 * is parsed with the flow program's parser ({@link PacketFields}, the Java twin of {@code packetlens_parse.h}) and
 * counted into a {@link PacketFlowTable} as {@code pl_flow_account} counts it into the kernel's. A
 * {@link FlowAggregator} reads this table as it reads the kernel's, so records, timeouts, totals and everything
 * downstream are the same; records say {@link FinishedFlow#fallback()}.
 *
 * <p>What is the same as the XDP program: one entry per {@code struct pl_flow_key}, received frames only, whole-frame
 * lengths as on the wire (an outer VLAN tag the device took out of the frame is parsed and counted as if it were
 * still there, as XDP sees it), "other" frames by the same keys, table-full overflow counted. Loaded for the TC hooks
 * ({@link FlowProgram.Hook#TC_EGRESS}), sent frames are counted too, as egress. What differs: every frame is copied
 * (its first {@value #SNAP_LENGTH} bytes) into user space, which costs CPU per packet; a frame whose headers go past
 * those bytes (a very long IPv6 extension header chain) counts as truncated; GSO super-packets count as one packet, as
 * tcpdump shows them; frames the ring had no room for are dropped and counted ({@link LossCounters#ringDrops()});
 * there are no kernel events; and nothing can be pinned, so counts end with the process.
 *
 * <p>Frame times are the kernel's receive times (CLOCK_REALTIME) moved onto CLOCK_MONOTONIC, the clock of the kernel
 * table's timestamps. Needs CAP_NET_RAW only. Thread-safe.
 */
public final class PacketFlows extends FlowSource implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("packetlens.flow");
    /** Bytes of each frame copied to user space: every header the parser reads, as the TC entry point pulls at most 256. */
    public static final int SNAP_LENGTH = 256;
    /** A frame time further than this from the clock when its block is read is a clock step: the read time is used. */
    private static final long MAX_FRAME_AGE_NANOS = 10_000_000_000L;

    private final PacketFlowTable table;
    private final io.packetlens.packet.Decapsulation decapsulation;
    private final FlowClock clock;
    private final PacketRingConfig ringConfig;
    private final List<Reader> readers = new CopyOnWriteArrayList<>();
    private volatile RuntimeException lastError;
    private boolean closed;

    /**
     * A fallback with the table sizes of {@code config}: receive-only rings when {@code config.hooks()} are XDP or TC
     * ingress, both directions when they include {@link FlowProgram.Hook#TC_EGRESS}; 32 MiB rings handing over
     * blocks after at most 10 ms.
     */
    public PacketFlows(FlowConfig config, FlowClock clock) {
        this(config, PacketRingConfig.defaults().snapLength(SNAP_LENGTH).incomingOnly(!config.hooks().contains(FlowProgram.Hook.TC_EGRESS)), clock);
    }

    public PacketFlows(FlowConfig config, PacketRingConfig ring, FlowClock clock) {
        this.table = new PacketFlowTable(config.tableSize(), config.otherTableSize());
        this.decapsulation = config.decapsulation();
        this.ringConfig = Objects.requireNonNull(ring);
        this.clock = Objects.requireNonNull(clock);
    }

    /**
     * Starts counting the frames of interface {@code ifname} of the calling thread's network namespace: opens its
     * ring (needs CAP_NET_RAW) and the thread that reads it. From the first frame the socket takes, nothing goes
     * uncounted: each is in the table or in the ring's drop counter.
     */
    public synchronized void attach(String ifname) {
        if (closed) throw new IllegalStateException("fallback flow counting is closed");
        PacketRing ring = PacketRing.open(ifname, ringConfig);
        Reader r = new Reader(ring);
        readers.add(r);
        r.thread.start();
    }

    /** The interfaces attached (and not detached), with the ring of each. */
    public List<PacketRing> rings() {
        List<PacketRing> out = new ArrayList<>();
        for (Reader r : readers) if (r.ring.isOpen()) out.add(r.ring);
        return out;
    }

    /**
     * Stops taking frames on every interface and counts what the rings still hold (waiting until no block arrived for
     * twice the retire timeout), then closes the rings. Counts so far stay in the table for the aggregator's drain.
     */
    public synchronized void detachAll() {
        for (Reader r : readers) {
            if (r.ring.isOpen() && r.thread.isAlive()) {
                try {
                    r.ring.stopIntake();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "stopping intake on " + r.ring.ifname() + ": " + e.getMessage());
                }
            }
            r.draining = true;
        }
        for (Reader r : readers) {
            try {
                r.thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (r.thread.isAlive()) {
                r.thread.interrupt();
                LOG.log(System.Logger.Level.WARNING, "the reader of " + r.ring.ifname() + " did not finish its drain in 5 s");
                continue; // its ring stays mapped while its thread may still read it; close() tries again
            }
            r.ring.close();
        }
    }

    /** The rings' kernel counters, summed over every interface attached since the start. */
    public PacketRingStatistics statistics() {
        PacketRingStatistics sum = PacketRingStatistics.ZERO;
        for (Reader r : readers) sum = sum.plus(r.ring.statistics());
        return sum;
    }

    /** The last error a reader thread met (its interface went away ...), or null. */
    public RuntimeException lastError() {
        return lastError;
    }

    @Override
    public boolean fallback() {
        return true;
    }

    @Override
    public int tableCapacity() {
        return table.capacity();
    }

    @Override
    public Map<OtherKey, Count> otherCounts() {
        return table.otherCounts();
    }

    @Override
    public LossCounters counters() {
        return table.counters(statistics().drops());
    }

    @Override
    FlowTableReader reader(int batchSize) {
        return table.reader(batchSize);
    }

    @Override
    FlowPins tablePins() {
        return null;
    }

    /** The table itself, for tests that count frames into it without a ring. */
    PacketFlowTable table() {
        return table;
    }

    /** Detaches (counting what the rings hold) and frees the rings. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        detachAll();
        closed = true;
        for (Reader r : readers) {
            if (r.thread.isAlive()) {
                try {
                    r.thread.join(Duration.ofSeconds(1));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (!r.thread.isAlive()) r.ring.close();
        }
    }

    /** One interface: its ring, the thread reading it, and the parse state of that thread. */
    private final class Reader implements PacketHandler, Runnable {
        final PacketRing ring;
        final Thread thread;
        private final PacketFields fields = new PacketFields().decapsulation(decapsulation);
        private final int ifindex;
        volatile boolean draining;
        /** Wall-clock minus monotonic time, and the monotonic time, when the current block was taken. */
        private long wallOffset, blockNanos;

        Reader(PacketRing ring) {
            this.ring = ring;
            this.ifindex = ring.ifindex();
            this.thread = Thread.ofPlatform().daemon(true).name("flow-fallback-" + ring.ifname()).unstarted(this);
        }

        @Override
        public void run() {
            try {
                while (!draining) {
                    if (ring.poll(100)) readBlock();
                }
                // intake stopped: what is in the ring still counts; a block that is not full comes after its timeout
                long quiet = (2 * ring.config().retireTimeout().toMillis() + 5) * 1_000_000;
                long last = System.nanoTime();
                while (System.nanoTime() - last < quiet && !Thread.currentThread().isInterrupted()) {
                    if (readBlock() > 0) last = System.nanoTime();
                    else ring.poll((int) Math.max(1, quiet / 4_000_000));
                }
            } catch (RuntimeException e) {
                lastError = e;
                LOG.log(System.Logger.Level.WARNING, "fallback flow counting on " + ring.ifname() + " stopped: " + e.getMessage(), e);
            }
        }

        /** Counts the frames of one block (if one is ready) under the table's lock; returns how many. */
        private int readBlock() {
            wallOffset = clock.wallOffsetNanos();
            blockNanos = clock.monotonicNanos();
            synchronized (table) {
                return ring.read(1, this);
            }
        }

        @Override
        public void onFrame(MemorySegment data, long offset, PacketRing.Frame f) {
            long t = f.timestampNanos() - wallOffset;
            if (t > blockNanos || blockNanos - t > MAX_FRAME_AGE_NANOS) t = blockNanos;
            table.accountFrame(fields, data, offset, f.snapLength(), f.wireLength(), f.vlanTci(), ifindex,
                    f.outgoing() ? Direction.EGRESS.code() : Direction.INGRESS.code(), t);
        }
    }
}
