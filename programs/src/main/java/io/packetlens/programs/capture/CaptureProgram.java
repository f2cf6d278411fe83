package io.packetlens.programs.capture;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.PerCpu;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.ebpf.xsk.XskSocket;
import io.packetlens.programs.filter.CaptureFilter;
import io.packetlens.programs.filter.FilterMaps;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The capture programs of {@code xsk_capture.bpf.c}: {@code xdp_steal} (filter, then
 * redirect into the AF_XDP socket of the frame's RX queue through the {@code xsks} XSKMAP)
 * and {@code xdp_mirror} (filter, then copy into the {@code frames} ring buffer and pass).
 * The filter lives in maps ({@link FilterMaps}), so {@link #filter} changes it on a running
 * program. Owns the loaded object and the links it attached; closing detaches and frees.
 */
public final class CaptureProgram implements AutoCloseable {
    private final BpfObject object;
    private final List<XdpLink> links = new ArrayList<>();
    private int snaplen;
    private CaptureFilter filter;

    private CaptureProgram(BpfObject object) {
        this.object = object;
    }

    /** The object description from the jar (change e.g. {@code frames}' size before loading). */
    public static ObjectSpec spec() {
        return ObjectSpec.fromResource(CaptureProgram.class, "/io/packetlens/programs/xsk_capture.bpf.o");
    }

    /**
     * Loads the programs with a ring buffer of {@code ringBytes} (a power of two, at least a
     * page) for mirror mode, and writes {@code filter} with the snap length into the maps.
     */
    public static CaptureProgram load(CaptureFilter filter, int snaplen, int ringBytes) {
        ObjectSpec spec = spec();
        spec.map("frames").maxEntries(ringBytes);
        CaptureProgram p = new CaptureProgram(spec.load());
        try {
            p.filter(filter, snaplen);
            return p;
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
    }

    /** Replaces the filter and the mirror snap length (1..{@value CaptureLayout#SNAP_MAX}). */
    public synchronized void filter(CaptureFilter f, int snap) {
        if (snap < 1) throw new IllegalArgumentException("snap length must be >= 1, not " + snap);
        FilterMaps.write(object, f, Math.min(snap, CaptureLayout.SNAP_MAX));
        this.filter = f;
        this.snaplen = Math.min(snap, CaptureLayout.SNAP_MAX);
    }

    public CaptureFilter filter() {
        return filter;
    }

    /** The snap length in effect for mirror mode. */
    public int snaplen() {
        return snaplen;
    }

    public BpfProgram program(CaptureMode mode) {
        return object.program(mode == CaptureMode.STEAL ? "xdp_steal" : "xdp_mirror");
    }

    /** The XSKMAP: queue id to AF_XDP socket. */
    public BpfMap sockets() {
        return object.map("xsks");
    }

    /** The mirror-mode ring buffer. */
    public BpfMap ring() {
        return object.map("frames");
    }

    /** Puts {@code socket} into the XSKMAP under its queue id: steal mode sends that queue's matching frames there. */
    public void addSocket(XskSocket socket) {
        sockets().update(le32(socket.queue()), le32(socket.fd()));
    }

    /** Attaches the program of {@code mode} to {@code ifname} (in the calling thread's namespace); the link is owned here. */
    public synchronized XdpLink attach(CaptureMode mode, String ifname, XdpMode xdpMode) {
        XdpLink link = XdpLink.attach(program(mode), ifname, xdpMode);
        links.add(link);
        return link;
    }

    /** The program's counters, summed over CPUs. */
    public ProgramCounters counters() {
        BpfMap stats = object.map("cap_stats");
        long[] sum = new long[CaptureLayout.STATS];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(4, 4);
            MemorySegment values = arena.allocate(stats.lookupValueSize(), 8);
            for (int i = 0; i < sum.length; i++) {
                key.set(JAVA_INT, 0, i);
                if (stats.lookup(key, values)) sum[i] = PerCpu.sumLongs(values, 0, PerCpu.stride(stats.valueSize()));
            }
        }
        return new ProgramCounters(sum[CaptureLayout.STAT_SEEN], sum[CaptureLayout.STAT_MATCHED], sum[CaptureLayout.STAT_NO_SOCKET],
                sum[CaptureLayout.STAT_MIRROR_LOST], sum[CaptureLayout.STAT_MIRROR_COPIED]);
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    /** Detaches every link, then frees the programs and maps. */
    @Override
    public synchronized void close() {
        RuntimeException failure = null;
        for (XdpLink l : links) {
            try {
                l.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        links.clear();
        object.close();
        if (failure != null) throw failure;
    }
}
