package io.packetlens.flow;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.LoadOptions;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.PerCpu;
import io.packetlens.ebpf.Pinning;
import io.packetlens.ebpf.events.EventChannelConfig;
import io.packetlens.ebpf.events.EventChannels;
import io.packetlens.ebpf.link.Link;
import io.packetlens.ebpf.link.XdpChain;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.ebpf.tracing.KernelDebugLog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The loaded flow program ({@code flow.bpf.c}): one parser behind three entry points ({@link Hook}), the flow table,
 * the "other" counters, the loss counters and the event ring. Owns the object and every link attached through it;
 * closing detaches and frees everything.
 *
 * <p>Attach at XDP with {@link #attachXdp}; any other hook (TC clsact or tcx links) through {@link #attach(Hook,
 * Function)}, which hands the hook's program to the caller's link factory and keeps the link.
 *
 * <p>With {@link FlowConfig#pinDirectory()} set, the tables are pinned there ({@link FlowPins}), reused when an earlier
 * process left them, and {@link #attachPinned} pins each link or, if the earlier process left one for the same hook and
 * interface, puts this program behind it: counting never stops across a restart.
 *
 * <p>At XDP the program can share an interface with other programs through the interface's {@link XdpChain}
 * ({@link #attachXdpChained}, or {@link #attachXdpShared} following {@link FlowConfig#xdpSharing()}): a copy of the XDP
 * entry point, loaded for the chain's flow slot and with this object's maps, becomes the chain's flow member. It counts
 * what the members before it (the guard) pass and passes every packet on.
 */
public final class FlowProgram extends FlowSource implements AutoCloseable {
    /** Resource path of the compiled object in the programs jar. */
    static final String OBJECT = "/io/packetlens/programs/flow.bpf.o";
    static final String FLOW_TABLE = "flow_table", OTHER_TABLE = "flow_other", COUNTERS = "flow_counters", EVENTS = "flow_events";

    /** Entry points of the one flow program: where it runs and which direction it records. */
    public enum Hook {
        XDP("flow_xdp", Direction.INGRESS),
        TC_INGRESS("flow_tc_ingress", Direction.INGRESS),
        TC_EGRESS("flow_tc_egress", Direction.EGRESS);

        private final String programName;
        private final Direction direction;

        Hook(String programName, Direction direction) {
            this.programName = programName;
            this.direction = direction;
        }

        /** The C function (and kernel program name). */
        public String programName() {
            return programName;
        }

        public Direction direction() {
            return direction;
        }
    }

    private final BpfObject object;
    private final FlowConfig config;
    /** How flow_events was set up at load: the chain copies of the XDP entry point must match. */
    private final EventChannelConfig channelConfig;
    private final FlowPins pins;
    private final boolean reusedTables;
    private final EventChannels channels;
    private final List<Link> links = new ArrayList<>();
    /** Links this instance pinned anew (not taken over from an earlier process): what a failed start must undo. */
    private final Map<Path, Link> newlyPinned = new LinkedHashMap<>();
    /** The same for pinned chain members that took a free slot. */
    private final List<XdpChain.Member> newMembers = new ArrayList<>();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment slot = arena.allocate(4, 4);
    private final MemorySegment perCpuCount;

    private FlowProgram(BpfObject object, FlowConfig config, EventChannelConfig channelConfig, EventChannels channels, FlowPins pins,
                        boolean reusedTables) {
        this.object = object;
        this.config = config;
        this.channelConfig = channelConfig;
        this.pins = pins;
        this.reusedTables = reusedTables;
        this.channels = channels;
        this.perCpuCount = arena.allocate(PerCpu.size(Count.SIZE), 8);
    }

    /** The object as compiled, read from the jar. */
    public static ObjectSpec spec() {
        return ObjectSpec.fromResource(FlowProgram.class, OBJECT);
    }

    /**
     * The object with {@code config} applied: map sizes and types, the {@code .rodata} switches (debug prints among
     * them: {@link FlowConfig#debugTag()}), the hooks to load.
     */
    /** {@code cfg_vxlan_ports}: {@code PL_VXLAN_PORTS} u16 in host order, 0 after the last port. */
    private static byte[] vxlanPorts(io.packetlens.packet.Decapsulation d) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(2 * io.packetlens.packet.Decapsulation.MAX_VXLAN_PORTS)
                .order(java.nio.ByteOrder.nativeOrder());
        for (int p : d.vxlanPorts()) b.putShort((short) p);
        return b.array();
    }

    public static ObjectSpec spec(FlowConfig config) {
        config.validate();
        ObjectSpec spec = spec();
        boolean perCpu = config.tableKind() == FlowConfig.TableKind.PER_CPU;
        spec.map(FLOW_TABLE).maxEntries(config.tableSize()).type(perCpu ? MapType.PERCPU_HASH : MapType.HASH);
        spec.map(OTHER_TABLE).maxEntries(config.otherTableSize());
        spec.map(EVENTS).maxEntries(config.events().isEmpty() ? FlowConfig.MIN_RING_BYTES : config.eventRingBytes());
        spec.variable("cfg_percpu_table").set(perCpu);
        spec.variable("cfg_events").set(config.eventBits());
        spec.variable("cfg_sample_every").set(config.sampleEvery());
        spec.variable("cfg_decap").set(config.decapsulation().enabled());
        spec.variable("cfg_vxlan_ports").set(vxlanPorts(config.decapsulation()));
        KernelDebugLog.configure(spec, config.debugTag());
        // what was reported of flows still in the table only matters to a process that comes after this one
        spec.map(FlowPins.EXPORTED).maxEntries(config.pinDirectory() != null ? config.tableSize() : 1);
        if (config.pinDirectory() != null) {
            for (String m : FlowPins.MAPS) spec.map(m).pinning(Pinning.BY_NAME);
        }
        spec.retainPrograms(config.hooks().stream().map(Hook::programName).toList());
        return spec;
    }

    public static FlowProgram load() {
        return load(FlowConfig.defaults());
    }

    /** Loads with the event channel chosen by {@link EventChannelConfig#fromEnvironment()} (ring buffer where the kernel has one). */
    public static FlowProgram load(FlowConfig config) {
        return load(config, EventChannelConfig.fromEnvironment());
    }

    /**
     * Loads with an explicit event channel choice: {@code flow_events} becomes a ring buffer (kernel 5.8+) or a perf
     * buffer (older kernels, or when forced). Its ring size comes from {@link FlowConfig#eventRingBytes()} unless
     * {@code channel} sets one; a perf buffer's from {@code channel.perf()}.
     */
    public static FlowProgram load(FlowConfig config, EventChannelConfig channel) {
        ObjectSpec spec = spec(config);
        EventChannels channels = EventChannels.configure(spec, channel);
        if (config.pinDirectory() == null) return new FlowProgram(spec.load(), config, channel, channels, null, false);
        FlowPins pins = new FlowPins(config.pinDirectory());
        pins.check(config);
        boolean reused = pins.exist();
        BpfObject object = spec.load(LoadOptions.defaults().pinPath(pins.directory()));
        try {
            FlowPins.stamp(object.map(FlowPins.META));
        } catch (RuntimeException e) {
            object.close();
            throw e;
        }
        return new FlowProgram(object, config, channel, channels, pins, reused);
    }

    /** The loaded object (maps and programs by name). */
    public BpfObject object() {
        return object;
    }

    /** The event channel chosen at load for {@code flow_events}. */
    public EventChannels eventChannels() {
        return channels;
    }

    public FlowConfig config() {
        return config;
    }

    /** Where the tables and links are pinned, or null when nothing is. */
    public FlowPins pins() {
        return pins;
    }

    /** Whether the tables were left by an earlier process (pinned) rather than created now. */
    public boolean reusedTables() {
        return reusedTables;
    }

    /** Per flow still in the table, what was already reported ({@code struct pl_flow_exported}); meaningful when pinned. */
    public BpfMap exportedTable() {
        return object.map(FlowPins.EXPORTED);
    }

    /** The program behind a hook, e.g. to test-run it or to attach it with a link type of one's own. */
    public BpfProgram program(Hook hook) {
        if (!config.hooks().contains(hook)) {
            throw new IllegalStateException("the flow program was loaded without its " + hook + " entry point (FlowConfig.hooks: "
                    + config.hooks() + ")");
        }
        return object.program(hook.programName());
    }

    /** Attaches the XDP entry point to an interface of the calling thread's network namespace. */
    public XdpLink attachXdp(String ifname, XdpMode mode) {
        return attach(Hook.XDP, p -> XdpLink.attach(p, ifname, mode));
    }

    public XdpLink attachXdp(int ifindex, XdpMode mode) {
        return attach(Hook.XDP, p -> XdpLink.attach(p, ifindex, mode));
    }

    /**
     * Attaches the XDP entry point to {@code ifname} as {@link FlowConfig#xdpSharing()} says: alone (an {@link XdpLink}),
     * or as the flow member of the interface's {@link XdpChain} ({@link XdpSharing.Policy#AUTO}: if it has one). With a
     * pin directory the link is pinned, or the chain member pinned, and an earlier process's is taken over.
     * {@code netns} names the interface's network namespace for pinned links (null: the caller's); the caller runs this
     * in that namespace.
     */
    public synchronized Link attachXdpShared(String netns, String ifname, XdpMode mode) {
        if (chains(ifname)) return attachXdpChained(ifname, mode);
        return attachPinned(Hook.XDP, netns, ifname, p -> XdpLink.attach(p, ifname, mode));
    }

    /** Whether the XDP entry point goes into {@code ifname}'s chain under the configured sharing policy. */
    public boolean chains(String ifname) {
        XdpSharing s = config.xdpSharing();
        return switch (s.policy()) {
            case CHAIN -> true;
            case DIRECT -> false;
            case AUTO -> XdpChain.exists(ifname, s.chain().root());
        };
    }

    /**
     * Puts the XDP entry point into {@code ifname}'s {@link XdpChain} (calling thread's network namespace; created in
     * {@code mode} if the interface has none) at {@link XdpChain#SLOT_FLOW}: a copy of the entry point loaded for that
     * slot and with this program's maps, so its counts land in the same tables. The member is process-scoped, or with a
     * pin directory pinned (taking over the slot an earlier process left). Closing this program takes it out again
     * (pinned: {@link #detachAll()} does).
     */
    public synchronized XdpChain.Member attachXdpChained(String ifname, XdpMode mode) {
        if (!arena.scope().isAlive()) throw new IllegalStateException("flow program is closed");
        program(Hook.XDP); // loaded with the XDP entry point?
        XdpChain chain = XdpChain.open(ifname, config.xdpSharing().chain().mode(mode));
        try {
            ObjectSpec copy = spec(config);
            EventChannels.configure(copy, channelConfig);
            copy.retainPrograms(List.of(Hook.XDP.programName()));
            // every map is this object's except the read-only data (which holds the slot) and the chain itself
            Map<String, BpfMap> shared = new HashMap<>();
            for (String name : copy.maps().keySet()) {
                if (!name.startsWith(".rodata") && !name.equals(XdpChain.CHAIN_MAP)) shared.put(name, object.map(name));
            }
            LoadOptions load = LoadOptions.defaults().replaceMaps(shared);
            if (pins == null) {
                XdpChain.Member m = chain.join(copy, load, Hook.XDP.programName(), XdpChain.SLOT_FLOW, XdpChain.Lifetime.PROCESS);
                links.add(m);
                return m;
            }
            boolean takeOver = chain.slots().stream().anyMatch(si -> si.slot() == XdpChain.SLOT_FLOW && si.kind() == XdpChain.SlotKind.PINNED);
            XdpChain.Member m = chain.replace(copy, load, Hook.XDP.programName(), XdpChain.SLOT_FLOW, XdpChain.Lifetime.PINNED);
            links.add(m);
            if (!takeOver) newMembers.add(m);
            return m;
        } finally {
            chain.close(); // the member holds the chain
        }
    }

    /**
     * Attaches a hook's program with {@code linker} (e.g. a TC or tcx link factory) and keeps the link, so that closing
     * this program detaches it. {@code attach(Hook.TC_EGRESS, p -> SomeTcLink.attach(p, "eth0", EGRESS))}.
     */
    public synchronized <L extends Link> L attach(Hook hook, Function<BpfProgram, L> linker) {
        if (!arena.scope().isAlive()) throw new IllegalStateException("flow program is closed");
        L link = Objects.requireNonNull(linker.apply(program(hook)), "linker returned null");
        links.add(link);
        return link;
    }

    /**
     * Attaches a hook's program on an interface and pins the link, or, when an earlier process pinned a link for the
     * same hook and interface, puts this program behind that link (BPF_LINK_UPDATE) so that not one packet goes
     * uncounted. Without a pin directory it is {@link #attach(Hook, Function)}. {@code netns} names the interface's
     * network namespace (null: the caller's); the caller runs this in that namespace.
     */
    public synchronized Link attachPinned(Hook hook, String netns, String ifname, Function<BpfProgram, ? extends Link> linker) {
        if (pins == null) return attach(hook, linker);
        if (!arena.scope().isAlive()) throw new IllegalStateException("flow program is closed");
        Path pin = pins.link(hook, netns, ifname);
        Link link;
        if (Files.exists(pin)) {
            link = Link.openPinned(pin);
            try {
                link.update(program(hook));
            } catch (RuntimeException e) {
                link.close();
                throw new BpfException("cannot take over the link pinned at " + pin + " (" + e.getMessage() + "); remove the pin to attach anew", e);
            }
        } else {
            link = Objects.requireNonNull(linker.apply(program(hook)), "linker returned null");
            if (!link.isBpfLink()) {
                link.close();
                throw new BpfException(hook + " on " + ifname + " could only be attached without a BPF link (" + link.description()
                        + "), which cannot be pinned: restarts would not find it. Pinning needs BPF links (XDP: kernel 5.9+, tcx: 6.6+).");
            }
            try {
                link.pin(pin);
            } catch (RuntimeException e) {
                link.close();
                throw e;
            }
            newlyPinned.put(pin, link);
        }
        links.add(link);
        return link;
    }

    /**
     * Undoes what this instance pinned, for a start that failed half way: detaches the links it pinned anew and
     * removes their pins, and removes the tables' pins if it created them; links and tables an earlier process left
     * stay as they were. Without pins it is {@link #detachAll()}.
     */
    public synchronized void undoStart() {
        if (pins == null) {
            detachAll();
            return;
        }
        newlyPinned.forEach((pin, link) -> {
            try {
                link.detach();
            } catch (RuntimeException ignored) {
                // detached already
            }
            try {
                Files.deleteIfExists(pin);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove pin " + pin, e);
            }
        });
        newMembers.forEach(XdpChain.Member::remove);
        releaseLinks();
        newlyPinned.clear();
        if (!reusedTables) pins.remove();
    }

    /**
     * Lets go of every link attached through this program: unpinned links detach, pinned ones stay attached (the kernel
     * keeps counting into the pinned tables for the next process). The maps and counts stay.
     */
    public synchronized void releaseLinks() {
        links.forEach(Link::close);
        links.clear();
        newlyPinned.clear();
        newMembers.clear();
    }

    /**
     * Detaches every link attached through this program, pinned ones too, and every link still pinned in the pin
     * directory (their pins are removed). The maps and counts stay.
     */
    public synchronized void detachAll() {
        for (Link l : links) {
            try {
                if (l instanceof XdpChain.Member m) m.remove(); // pinned members stay in their slot until removed
                else if (pins != null && l.isBpfLink()) l.detach();
            } finally {
                l.close();
            }
        }
        links.clear();
        if (pins == null) return;
        for (Path p : pins.links()) {
            try (Link stale = Link.openPinned(p)) {
                stale.detach();
            } catch (RuntimeException e) {
                // a pin whose link is gone already: removed below all the same
            }
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove pin " + p, e);
            }
        }
    }

    public synchronized List<Link> links() {
        return List.copyOf(links);
    }

    /** The flow table: {@link FlowKey} to {@link FlowRecord} (per CPU for {@link FlowConfig.TableKind#PER_CPU}). */
    public BpfMap flowTable() {
        return object.map(FLOW_TABLE);
    }

    /** Per-CPU hash of {@link OtherKey} to packets and bytes. */
    public BpfMap otherTable() {
        return object.map(OTHER_TABLE);
    }

    /** Per-CPU array behind {@link #counters()}. */
    public BpfMap counterTable() {
        return object.map(COUNTERS);
    }

    /**
     * The event map (a ring buffer, or a perf event array: {@link #eventChannels()}; one page and unused unless
     * {@link FlowConfig#events()} asks for events). Read it with {@link FlowEvents}.
     */
    public BpfMap eventRing() {
        return object.map(EVENTS);
    }

    @Override
    public int tableCapacity() {
        return flowTable().maxEntries();
    }

    @Override
    FlowTableReader reader(int batchSize) {
        return new KernelTableReader(flowTable(), batchSize);
    }

    @Override
    FlowPins tablePins() {
        return pins;
    }

    /** Loss and event counters, summed over CPUs. */
    @Override
    public synchronized LossCounters counters() {
        Count[] c = new Count[LossCounters.SLOTS];
        for (int i = 0; i < c.length; i++) c[i] = readCount(i);
        return new LossCounters(c[LossCounters.TABLE_FULL], c[LossCounters.OTHER_FULL], c[LossCounters.EVENTS_SENT],
                c[LossCounters.EVENTS_LOST]);
    }

    private Count readCount(int index) {
        slot.set(JAVA_INT, 0, index);
        if (!counterTable().lookup(slot, perCpuCount)) return Count.ZERO;
        return sumPerCpu(perCpuCount, 0);
    }

    /**
     * A snapshot of the flow table (per-CPU values merged). Copies every entry: for periodic reading use a
     * {@link FlowAggregator}.
     */
    public Map<FlowKey, FlowRecord> flows() {
        Map<FlowKey, FlowRecord> out = new LinkedHashMap<>();
        boolean perCpu = flowTable().type().isPerCpu();
        flowTable().forEach((k, v) -> out.put(FlowKey.read(k, 0),
                perCpu ? FlowRecord.readPerCpu(v, 0, PerCpu.cpus(), PerCpu.stride(FlowRecord.SIZE)) : FlowRecord.read(v, 0)));
        return out;
    }

    /** The "other" counters, summed over CPUs. */
    @Override
    public Map<OtherKey, Count> otherCounts() {
        Map<OtherKey, Count> out = new LinkedHashMap<>();
        otherTable().forEach((k, v) -> out.merge(OtherKey.read(k, 0), sumPerCpu(v, 0), Count::plus));
        return out;
    }

    /** Sums a per-CPU {@code struct pl_count} value (16 bytes per possible CPU). */
    static Count sumPerCpu(MemorySegment value, long offset) {
        int stride = PerCpu.stride(Count.SIZE);
        return new Count(PerCpu.sumLongs(value, offset, stride), PerCpu.sumLongs(value, offset + 8, stride));
    }

    @Override
    public synchronized void close() {
        if (!arena.scope().isAlive()) return;
        try {
            releaseLinks();
        } finally {
            object.close();
            arena.close();
        }
    }
}
