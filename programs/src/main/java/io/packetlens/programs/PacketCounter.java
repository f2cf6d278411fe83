package io.packetlens.programs;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.PerCpu;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The XDP packet counter ({@code xdp_count.bpf.c}): counts packets and bytes per protocol
 * class in a per-CPU array and passes every packet on. Owns the loaded object and every
 * link it attached; closing detaches and frees them.
 */
public final class PacketCounter implements AutoCloseable {
    /** Protocol classes, in the order of {@code enum pl_class} in the C program. */
    public enum Protocol {
        IPV4_TCP("IPv4 TCP"), IPV4_UDP("IPv4 UDP"), IPV4_ICMP("IPv4 ICMP"), IPV4_OTHER("IPv4 other"),
        IPV6_TCP("IPv6 TCP"), IPV6_UDP("IPv6 UDP"), IPV6_ICMP("IPv6 ICMPv6"), IPV6_OTHER("IPv6 other"),
        ARP("ARP"), OTHER("other"), TRUNCATED("truncated");

        private final String label;

        Protocol(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** Packets and bytes. */
    public record Count(long packets, long bytes) {
        public static final Count ZERO = new Count(0, 0);

        public Count plus(Count o) {
            return new Count(packets + o.packets, bytes + o.bytes);
        }

        public Count minus(Count o) {
            return new Count(packets - o.packets, bytes - o.bytes);
        }
    }

    /** Size of {@code struct counter}. */
    private static final int VALUE_SIZE = 16;

    private final BpfObject object;
    private final List<XdpLink> links = new ArrayList<>();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment key = arena.allocate(4, 4);
    private final MemorySegment values;

    private PacketCounter(BpfObject object) {
        this.object = object;
        this.values = arena.allocate(PerCpu.size(VALUE_SIZE), 8);
    }

    /** The program's object description, read from the jar. */
    public static ObjectSpec spec() {
        return ObjectSpec.fromResource(PacketCounter.class, "xdp_count.bpf.o");
    }

    public static PacketCounter load() {
        return new PacketCounter(spec().load());
    }

    public BpfProgram program() {
        return object.program("xdp_count");
    }

    public BpfMap counts() {
        return object.map("counts");
    }

    /**
     * Attaches the counter to an interface of the calling thread's network namespace. The
     * link stays owned by this counter.
     */
    public synchronized XdpLink attach(String ifname, XdpMode mode) {
        XdpLink link = XdpLink.attach(program(), ifname, mode);
        links.add(link);
        return link;
    }

    /** Current totals, summed over CPUs. */
    public synchronized Map<Protocol, Count> read() {
        Map<Protocol, Count> out = new EnumMap<>(Protocol.class);
        BpfMap counts = counts();
        int stride = PerCpu.stride(VALUE_SIZE);
        for (Protocol p : Protocol.values()) {
            key.set(JAVA_INT, 0, p.ordinal());
            boolean found = counts.lookup(key, values);
            out.put(p, found ? new Count(PerCpu.sumLongs(values, 0, stride), PerCpu.sumLongs(values, 8, stride)) : Count.ZERO);
        }
        return out;
    }

    /** Sum over all classes. */
    public static Count total(Map<Protocol, Count> counts) {
        return counts.values().stream().reduce(Count.ZERO, Count::plus);
    }

    @Override
    public synchronized void close() {
        if (!arena.scope().isAlive()) return;
        links.forEach(XdpLink::close);
        links.clear();
        object.close();
        arena.close();
    }
}
