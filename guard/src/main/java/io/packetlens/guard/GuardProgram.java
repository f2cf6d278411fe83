package io.packetlens.guard;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.LoadOptions;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.PerCpu;
import io.packetlens.ebpf.Pinning;
import io.packetlens.ebpf.UpdateFlag;
import io.packetlens.ebpf.events.EventChannels;
import io.packetlens.ebpf.events.EventSource;
import io.packetlens.ebpf.link.Link;
import io.packetlens.ebpf.link.TcDirection;
import io.packetlens.ebpf.link.TcLink;
import io.packetlens.ebpf.link.XdpChain;
import io.packetlens.ebpf.link.XdpChainOptions;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.ebpf.tracing.KernelDebugLog;
import io.packetlens.conntrack.ConntrackConfig;
import io.packetlens.conntrack.ConntrackLayout;
import io.packetlens.conntrack.ConntrackTable;
import io.packetlens.guard.rules.Rule;
import io.packetlens.guard.rules.RuleSet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.logging.Logger;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The loaded guard program ({@code guard.bpf.c}): the firewall at XDP or TC ingress, its two ruleset slots, counters,
 * fragment, bucket and ban tables and the drop-sample channel. {@link #install} compiles a {@link RuleSet} into the
 * idle slot and makes it active with one store, so that every packet is judged by exactly one whole ruleset; packets
 * are counted per slot and so per generation ({@link #generations()}).
 *
 * <p>By default the links and maps are pinned under {@link GuardOptions#pinDirectory()}: the firewall stays when the
 * process dies, and a later process that attaches on the same interface takes the pinned link over. {@link #stop()}
 * detaches and removes the pins; {@link #close()} lets go without detaching pinned links.
 */
public final class GuardProgram implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(GuardProgram.class.getName());
    /** Entry points. */
    public enum Hook {
        XDP(GuardLayout.XDP_PROGRAM),
        TC_INGRESS(GuardLayout.TC_PROGRAM),
        /** The connection tracker's egress half for state rules: never drops, idle while no rule has a state. */
        TC_EGRESS(GuardLayout.TC_EGRESS_PROGRAM);

        /** The entry points that judge packets (all but the tracker's egress half). */
        public static final List<Hook> JUDGING = List.of(XDP, TC_INGRESS);

        private final String programName;

        Hook(String programName) {
            this.programName = programName;
        }

        public String programName() {
            return programName;
        }
    }

    /** How long a slot stays untouched after it stopped being active, before it is written again: every packet
     *  that read the old slot has long finished (a program run takes microseconds, under RCU). */
    static final Duration GRACE = Duration.ofMillis(20);
    private static final List<String> PINNED_MAPS = List.of(GuardLayout.ACTIVE, GuardLayout.SETS, GuardLayout.RULES, GuardLayout.LIMITS,
            GuardLayout.SRC, GuardLayout.DST, GuardLayout.RULE_COUNTS, GuardLayout.SLOT_COUNTS, GuardLayout.COUNTERS,
            GuardLayout.FRAGS, GuardLayout.BUCKETS, GuardLayout.INSERT, GuardLayout.BANS, GuardLayout.DROP_SOURCES,
            GuardLayout.RULE_NAMES, ConntrackLayout.TABLE, ConntrackLayout.COUNTERS);
    /** The tracker behind state rules: nf_conntrack's timeouts, the table filled as connections come (not preallocated:
     *  a guard without state rules pays no memory for it). */
    static final ConntrackConfig CONNTRACK = ConntrackConfig.defaults();

    private final BpfObject object;
    private final GuardOptions options;
    private final EventChannels channels;
    /** The spec as this program was loaded from: the XDP chain member is a copy of its entry point. */
    private final java.util.function.Supplier<ObjectSpec> configuredSpec;
    private final boolean createdPins;
    private final List<Link> links = new ArrayList<>();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment key4, perCpu, lpmKey, bits, rule, limit, set, active, ruleName;
    /** The readers of the counters and tables, over this program's maps. */
    private final GuardView view;
    private final ConntrackTable connections;
    private final CompiledRuleSet[] slots = new CompiledRuleSet[2];
    private final long[] slotGeneration = new long[2];
    private final Map<Long, Count> finished = new TreeMap<>();
    private int activeSlot;
    private long generation;
    private long lastFlipNanos;

    private GuardProgram(BpfObject object, GuardOptions options, EventChannels channels, boolean createdPins,
                         java.util.function.Supplier<ObjectSpec> configuredSpec) {
        this.configuredSpec = configuredSpec;
        this.object = object;
        this.options = options;
        this.channels = channels;
        this.createdPins = createdPins;
        key4 = arena.allocate(4, 8);
        perCpu = arena.allocate(PerCpu.size(GuardLayout.Count.SIZE), 8);
        lpmKey = arena.allocate(GuardLayout.LpmKey.SIZE, 8);
        bits = arena.allocate(GuardLayout.BITS_SIZE, 8);
        rule = arena.allocate(GuardLayout.Rule.SIZE, 8);
        limit = arena.allocate(GuardLayout.Limit.SIZE, 8);
        set = arena.allocate(GuardLayout.Set.SIZE, 8);
        active = arena.allocate(GuardLayout.Active.SIZE, 8);
        ruleName = arena.allocate(GuardLayout.RuleName.SIZE, 8);
        view = GuardView.over(object::map);
        connections = new ConntrackTable(object, CONNTRACK.timeouts());
    }

    /** The object as compiled, from the programs jar. */
    public static ObjectSpec spec() {
        return ObjectSpec.fromResource(GuardProgram.class, GuardLayout.OBJECT);
    }

    /**
     * Loads the program sized for {@code initial} and {@code options} and installs {@code initial} (generation 1, or the
     * next one when pinned maps of an earlier process are reused). Nothing is attached yet. If anything fails, nothing
     * stays loaded and pins this call made are removed.
     */
    public static GuardProgram load(RuleSet initial, GuardOptions options) {
        CompiledRuleSet compiled = GuardCompiler.compile(initial);
        ObjectSpec spec = configured(compiled, initial, options);
        EventChannels channels = EventChannels.configure(spec, options.events());
        BpfObject object;
        boolean created = false;
        if (options.processScoped()) {
            object = spec.load();
        } else {
            Path dir = options.pinDirectory();
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the pin directory " + dir, e);
            }
            created = !Files.exists(dir.resolve(GuardLayout.ACTIVE));
            for (String m : PINNED_MAPS) spec.map(m).pinning(Pinning.BY_NAME);
            object = spec.load(LoadOptions.defaults().pinPath(dir));
        }
        GuardProgram g = new GuardProgram(object, options, channels, created, () -> configured(compiled, initial, options));
        try {
            g.resume();
            g.install(compiled);
            return g;
        } catch (RuntimeException e) {
            g.undoLoad();
            throw e;
        }
    }

    /** The object with the table sizes and switches for {@code initial} and {@code options} applied. */
    private static ObjectSpec configured(CompiledRuleSet compiled, RuleSet initial, GuardOptions options) {
        ObjectSpec spec = spec();
        int prefixes = Math.max(options.prefixCapacity(), 2 * Math.max(compiled.sources().size(), compiled.destinations().size()) + 16);
        spec.map(GuardLayout.SRC).maxEntries(prefixes);
        spec.map(GuardLayout.DST).maxEntries(prefixes);
        spec.map(GuardLayout.FRAGS).maxEntries(initial.fragments().tableSize());
        spec.map(GuardLayout.BUCKETS).maxEntries(options.bucketTableSize())
                .type(options.perCpuBuckets() ? MapType.PERCPU_HASH : MapType.HASH);
        spec.map(GuardLayout.BANS).maxEntries(options.banTableSize());
        int sourceBits = Math.max(4, 32 - Integer.numberOfLeadingZeros(Math.max(1, options.dropSourceTableSize() - 1)));
        // each possible CPU its own run of slots (the program indexes cpu << bits | hash)
        spec.map(GuardLayout.DROP_SOURCES).maxEntries(Math.multiplyExact(PerCpu.cpus(), 1 << Math.min(sourceBits, 24)));
        spec.variable("cfg_source_bits").set(Math.min(sourceBits, 24));
        spec.variable("cfg_percpu_buckets").set(options.perCpuBuckets());
        long interval = options.bucketInsertsPerSecond() > 0 ? Math.max(1, 1_000_000_000L / options.bucketInsertsPerSecond()) : 0;
        spec.variable("cfg_insert_interval_ns").set(interval);
        spec.variable("cfg_insert_window_ns").set(interval * Math.max(1, options.bucketInsertBurst()));
        spec.variable("cfg_sample_every").set(options.sampleEvery());
        ConntrackTable.configure(spec, CONNTRACK);
        spec.map(ConntrackLayout.TABLE).flags(spec.map(ConntrackLayout.TABLE).flags() | io.packetlens.ebpf.MapSpec.F_NO_PREALLOC);
        spec.map(ConntrackLayout.EVENTS).maxEntries(4096); // the guard's tracker sends no events
        KernelDebugLog.configure(spec, options.debugTag());
        if (options.sampleEvery() == 0) spec.map(GuardLayout.EVENTS).maxEntries(4096);
        return spec;
    }

    /** Pinned maps of an earlier process: carry on from its active slot and generation. */
    private void resume() {
        key4.set(JAVA_INT, 0, 0);
        if (!object.map(GuardLayout.ACTIVE).lookup(key4, active)) return;
        activeSlot = active.get(JAVA_INT, GuardLayout.Active.SLOT) & 1;
        generation = active.get(JAVA_LONG, GuardLayout.Active.GENERATION);
        if (generation > 0) {
            slotGeneration[activeSlot] = generation;
            lastFlipNanos = System.nanoTime();
        }
    }

    private void undoLoad() {
        view.close();
        connections.close();
        object.close();
        arena.close();
        if (createdPins) removeMapPins();
    }

    public BpfObject object() {
        return object;
    }

    public GuardOptions options() {
        return options;
    }

    public BpfProgram program(Hook hook) {
        return object.program(hook.programName());
    }

    /** The event channel chosen at load for drop samples. */
    public EventChannels eventChannels() {
        return channels;
    }

    /** Opens the drop-sample stream (needs {@link GuardOptions#sampleEvery()} > 0 to carry anything). */
    public EventSource openSamples(Consumer<DropSample> handler) {
        return channels.open(object, GuardLayout.EVENTS, e -> handler.accept(DropSample.read(e)));
    }

    // ---- attach ----

    /** {@link #attachXdp(String, String, XdpMode)} in the caller's own namespace. */
    public synchronized Link attachXdp(String ifname, XdpMode mode) {
        return attachXdp(null, ifname, mode);
    }

    /**
     * Attaches at XDP on an interface of the calling thread's network namespace ({@code netns} names it, null for the
     * process's own; the caller runs this in it): as the first member ({@link XdpChain#SLOT_GUARD}) of the interface's
     * XDP chain, created in {@code mode} if it has none, so that the flow monitor (and others) can run behind the
     * guard. The member is a copy of the XDP entry point with this program's maps: pinned (it stays in force; the
     * attachment is recorded for {@link #removePinned}) unless the options are process-scoped.
     */
    public synchronized Link attachXdp(String netns, String ifname, XdpMode mode) {
        if (!arena.scope().isAlive()) throw new IllegalStateException("the guard program is closed");
        Link tracker = attachTracker(ifname);
        try {
            return joinChain(netns, ifname, mode);
        } catch (RuntimeException e) {
            undoTracker(tracker, ifname);
            throw e;
        }
    }

    private Link joinChain(String netns, String ifname, XdpMode mode) {
        XdpChain chain = XdpChain.open(ifname, XdpChainOptions.defaults().root(options.chainRoot()).mode(mode));
        try {
            ObjectSpec copy = configuredSpec.get();
            EventChannels.configure(copy, options.events());
            copy.retainPrograms(List.of(Hook.XDP.programName()));
            // every map is this object's except the read-only data (which holds the slot) and the chain itself
            Map<String, BpfMap> shared = new HashMap<>();
            for (String name : copy.maps().keySet()) {
                if (!name.startsWith(".rodata") && !name.equals(XdpChain.CHAIN_MAP)) shared.put(name, object.map(name));
            }
            LoadOptions load = LoadOptions.defaults().replaceMaps(shared);
            XdpChain.Member m = options.processScoped()
                    ? chain.join(copy, load, Hook.XDP.programName(), XdpChain.SLOT_GUARD, XdpChain.Lifetime.PROCESS)
                    : chain.replace(copy, load, Hook.XDP.programName(), XdpChain.SLOT_GUARD, XdpChain.Lifetime.PINNED);
            links.add(m);
            if (!options.processScoped()) GuardAttachments.record(options.pinDirectory(), netns, ifname);
            return m;
        } finally {
            chain.close(); // the member holds the chain
        }
    }

    /**
     * Attaches at TC ingress (tcx, or clsact where there is none) on an interface of the calling thread's namespace,
     * with the tracker's egress half ({@link #attachTracker}).
     */
    public synchronized Link attachTc(String ifname) {
        Link tracker = attachTracker(ifname);
        try {
            return attach(Hook.TC_INGRESS, ifname, p -> TcLink.attach(p, ifname, TcDirection.INGRESS));
        } catch (RuntimeException e) {
            undoTracker(tracker, ifname);
            throw e;
        }
    }

    /**
     * The connection tracker's egress half on {@code ifname} (TC egress, pinned like the rest unless process-scoped):
     * what the host sends is tracked there, so that state rules know the replies to the host's own connections. It
     * never drops, and is idle while the rules in force have no {@code state:}. The XDP and TC attachments add it.
     */
    public synchronized Link attachTracker(String ifname) {
        return attach(Hook.TC_EGRESS, ifname, p -> TcLink.attach(p, ifname, TcDirection.EGRESS));
    }

    private void undoTracker(Link tracker, String ifname) {
        links.remove(tracker);
        tracker.close();
        if (!options.processScoped()) {
            try {
                Files.deleteIfExists(linkPin(Hook.TC_EGRESS, ifname));
            } catch (IOException e) {
                LOG.warning("cannot remove " + linkPin(Hook.TC_EGRESS, ifname) + ": " + e.getMessage());
            }
        }
    }

    /** The connections the state rules track (empty while no rule has a state). */
    public ConntrackTable connections() {
        return connections;
    }

    private Link attach(Hook hook, String ifname, java.util.function.Function<BpfProgram, Link> linker) {
        if (!arena.scope().isAlive()) throw new IllegalStateException("the guard program is closed");
        if (options.processScoped()) {
            Link l = linker.apply(program(hook));
            links.add(l);
            return l;
        }
        Path pin = linkPin(hook, ifname);
        Link link;
        if (Files.exists(pin)) {
            link = Link.openPinned(pin);
            try {
                link.update(program(hook));
            } catch (RuntimeException e) {
                link.close();
                throw new BpfException("cannot take over the guard link pinned at " + pin + " (" + e.getMessage() + "); remove the pin to attach anew", e);
            }
        } else {
            link = linker.apply(program(hook));
            try {
                if (!link.isBpfLink()) {
                    throw new BpfException(hook + " on " + ifname + " could only be attached without a BPF link (" + link.description()
                            + "), which cannot be pinned; use GuardOptions.unpinned() on this kernel");
                }
                link.pin(pin);
            } catch (RuntimeException e) {
                link.close();
                throw e;
            }
        }
        links.add(link);
        return link;
    }

    /** Where the link of {@code hook} on {@code ifname} is pinned (names in bpffs may not contain '.'). */
    public Path linkPin(Hook hook, String ifname) {
        return options.pinDirectory().resolve("link_" + hook.name().toLowerCase() + "_" + ifname.replaceAll("[^A-Za-z0-9_-]", "_"));
    }

    public synchronized List<Link> links() {
        return List.copyOf(links);
    }

    /** Detaches every link of this program, pinned ones too, and removes their pins; the rules and counters stay. */
    public synchronized void detach() {
        for (Link l : links) {
            try {
                if (l instanceof XdpChain.Member m) m.remove(); // a pinned member stays in its slot until removed
                else if (l.isBpfLink()) l.detach();
            } catch (RuntimeException ignored) {
                // gone already
            } finally {
                l.close();
            }
        }
        links.clear();
        if (options.processScoped()) return;
        GuardAttachments.leaveChains(options.pinDirectory(), options.chainRoot());
        try (var s = Files.list(options.pinDirectory())) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith("link_")).toList()) {
                try (Link stale = Link.openPinned(p)) {
                    stale.detach();
                } catch (RuntimeException e) {
                    // a pin whose link is gone: removed all the same
                }
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove link pins in " + options.pinDirectory(), e);
        }
    }

    /** Detaches, removes every pin (links and maps) and closes: the firewall is gone. */
    public synchronized void stop() {
        try {
            detach();
        } finally {
            if (!options.processScoped()) {
                removeMapPins();
                try (var left = Files.list(options.pinDirectory())) {
                    if (left.findAny().isEmpty()) Files.delete(options.pinDirectory());
                } catch (IOException ignored) {
                    // other pins live there too: the directory stays
                }
            }
            close();
        }
    }

    /**
     * Removes a pinned guard that no process holds ({@code packetlens guard stop}): detaches every link pinned in
     * {@code dir} and removes the pins of links and maps. Returns how many pins were removed (0: there was no guard).
     */
    public static int removePinned(Path dir) {
        return removePinned(dir, XdpChain.DEFAULT_ROOT);
    }

    /** {@link #removePinned(Path)} with the XDP chains pinned under {@code chainRoot}. */
    public static int removePinned(Path dir, Path chainRoot) {
        if (!Files.isDirectory(dir)) return 0;
        int n = GuardAttachments.leaveChains(dir, chainRoot);
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (name.startsWith("link_")) {
                    try (Link l = Link.openPinned(p)) {
                        l.detach();
                    } catch (RuntimeException gone) {
                        // a pin whose link is defunct: removed all the same
                    }
                } else if (!PINNED_MAPS.contains(name) && !name.equals(GuardAttachments.MAP)) {
                    continue;
                }
                Files.delete(p);
                n++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the guard pinned in " + dir, e);
        }
        try (var s = Files.list(dir)) {
            if (s.findAny().isEmpty()) Files.delete(dir);
        } catch (IOException ignored) {
            // other pins live there too
        }
        return n;
    }

    private void removeMapPins() {
        try {
            Files.deleteIfExists(options.pinDirectory().resolve(GuardAttachments.MAP));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove pin " + GuardAttachments.MAP, e);
        }
        for (String m : PINNED_MAPS) {
            try {
                Files.deleteIfExists(options.pinDirectory().resolve(m));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove pin " + m, e);
            }
        }
    }

    // ---- rules ----

    /** The generation of the active ruleset (1 for the first install). */
    public synchronized long generation() {
        return generation;
    }

    public synchronized RuleSet activeRules() {
        return slots[activeSlot].source();
    }

    /**
     * Compiles {@code rules} and makes them active in one step; returns the new generation. A ruleset that does not fit
     * (more than 256 kernel rules, 16 limiters, or more prefixes than the tries hold beside the active ones) is refused
     * with a {@link GuardCompileException} and the rules in force stay.
     */
    public synchronized long install(RuleSet rules) {
        return install(GuardCompiler.compile(rules));
    }

    private long install(CompiledRuleSet c) {
        if (!arena.scope().isAlive()) throw new IllegalStateException("the guard program is closed");
        int idle = generation == 0 ? activeSlot : 1 - activeSlot;
        BpfMap src = object.map(GuardLayout.SRC), dst = object.map(GuardLayout.DST);
        boolean srcInline = fitsInline(c.sources()), dstInline = fitsInline(c.destinations());
        checkFits(src, srcInline ? 0 : c.sources().size(), idle, "source");
        checkFits(dst, dstInline ? 0 : c.destinations().size(), idle, "destination");
        long wait = lastFlipNanos + GRACE.toNanos() - System.nanoTime();
        if (wait > 0) {
            try {
                Thread.sleep(Duration.ofNanos(wait));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted before the swap; the rules in force stay", e);
            }
        }
        // the idle slot's last generation is final now: keep its count, then clear the slot
        if (slotGeneration[idle] > 0) finished.merge(slotGeneration[idle], slotCount(idle), Count::plus);
        zeroPerCpu(object.map(GuardLayout.SLOT_COUNTS), idle);
        BpfMap ruleCounts = object.map(GuardLayout.RULE_COUNTS);
        for (int i = 0; i < GuardLayout.MAX_RULES; i++) zeroPerCpu(ruleCounts, idle * GuardLayout.MAX_RULES + i);
        clearSlot(src, idle);
        clearSlot(dst, idle);
        BpfMap rulesMap = object.map(GuardLayout.RULES);
        for (int i = 0; i < GuardLayout.MAX_RULES; i++) {
            if (i < c.rules().size()) c.rules().get(i).write(rule, 0);
            else rule.fill((byte) 0);
            key4.set(JAVA_INT, 0, idle * GuardLayout.MAX_RULES + i);
            rulesMap.update(key4, rule);
        }
        BpfMap names = object.map(GuardLayout.RULE_NAMES);
        List<Rule> fileRules = c.source().rules();
        for (int i = 0; i < GuardLayout.MAX_RULES; i++) {
            ruleName.fill((byte) 0);
            if (i < c.rules().size()) {
                int y = c.rules().get(i).sourceRule();
                ruleName.set(JAVA_INT, GuardLayout.RuleName.RULE, y);
                ruleName.set(JAVA_INT, GuardLayout.RuleName.PRIORITY, fileRules.get(y).priority());
                byte[] n = fileRules.get(y).name().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                MemorySegment.copy(n, 0, ruleName, JAVA_BYTE, GuardLayout.RuleName.NAME, Math.min(n.length, GuardLayout.RuleName.NAME_BYTES - 1));
            } else {
                ruleName.set(JAVA_INT, GuardLayout.RuleName.RULE, GuardLayout.RuleName.NONE);
            }
            key4.set(JAVA_INT, 0, idle * GuardLayout.MAX_RULES + i);
            names.update(key4, ruleName);
        }
        BpfMap limits = object.map(GuardLayout.LIMITS);
        for (int i = 0; i < GuardLayout.MAX_LIMITS; i++) {
            if (i < c.limiters().size()) c.limiters().get(i).write(limit, 0);
            else limit.fill((byte) 0);
            key4.set(JAVA_INT, 0, idle * GuardLayout.MAX_LIMITS + i);
            limits.update(key4, limit);
        }
        if (!srcInline) writeEntries(src, c.sources(), idle);
        if (!dstInline) writeEntries(dst, c.destinations(), idle);
        long next = generation + 1;
        set.fill((byte) 0);
        for (int i = 0; i < GuardLayout.WORDS; i++) {
            set.set(JAVA_LONG, GuardLayout.Set.SRC_ANY + i * 8L, c.sourceAny()[i]);
            set.set(JAVA_LONG, GuardLayout.Set.DST_ANY + i * 8L, c.destinationAny()[i]);
            for (int v = 0; v < GuardLayout.Set.STATES; v++) {
                set.set(JAVA_LONG, GuardLayout.Set.STATE_OK + (v * GuardLayout.WORDS + i) * 8L, c.stateAccepts()[v][i]);
            }
        }
        set.set(JAVA_LONG, GuardLayout.Set.GENERATION, next);
        set.set(JAVA_LONG, GuardLayout.Set.FRAG_TIMEOUT_NS, c.fragmentTimeoutNanos());
        set.set(JAVA_INT, GuardLayout.Set.NRULES, c.rules().size());
        set.set(JAVA_BYTE, GuardLayout.Set.DEFAULT_ACTION, (byte) (c.defaultDeny() ? 1 : 0));
        set.set(JAVA_BYTE, GuardLayout.Set.DRY_RUN, (byte) (c.dryRun() ? 1 : 0));
        set.set(JAVA_BYTE, GuardLayout.Set.FRAG_FAIL_CLOSED, (byte) (c.fragmentFailClosed() ? 1 : 0));
        set.set(JAVA_BYTE, GuardLayout.Set.LOOKUP_SRC, (byte) (srcInline || c.sources().isEmpty() ? 0 : 1));
        set.set(JAVA_BYTE, GuardLayout.Set.LOOKUP_DST, (byte) (dstInline || c.destinations().isEmpty() ? 0 : 1));
        if (srcInline) writeList(set.asSlice(GuardLayout.Set.SRC_LIST, GuardLayout.Prefixes.SIZE), c.sources());
        if (dstInline) writeList(set.asSlice(GuardLayout.Set.DST_LIST, GuardLayout.Prefixes.SIZE), c.destinations());
        set.set(JAVA_BYTE, GuardLayout.Set.BANS, (byte) (c.limiters().stream().anyMatch(l -> l.banNs() > 0) ? 1 : 0));
        set.set(JAVA_BYTE, GuardLayout.Set.TRACK, (byte) (c.tracksConnections() ? 1 : 0));
        key4.set(JAVA_INT, 0, idle);
        object.map(GuardLayout.SETS).update(key4, set);
        // the swap: one store of the slot the program reads once per packet
        active.fill((byte) 0);
        active.set(JAVA_INT, GuardLayout.Active.SLOT, idle);
        active.set(JAVA_LONG, GuardLayout.Active.GENERATION, next);
        key4.set(JAVA_INT, 0, 0);
        object.map(GuardLayout.ACTIVE).update(key4, active);
        lastFlipNanos = System.nanoTime();
        slots[idle] = c;
        slotGeneration[idle] = next;
        activeSlot = idle;
        generation = next;
        return next;
    }

    private void checkFits(BpfMap trie, int wanted, int idle, String what) {
        int inUse = 0;
        for (byte[] k : trie.keys()) if (k[GuardLayout.LpmKey.SLOT] != idle) inUse++;
        if (inUse + wanted > trie.maxEntries()) {
            throw new GuardCompileException("the ruleset has " + wanted + " " + what + " prefixes; the " + what + " trie holds "
                    + trie.maxEntries() + " and the rules in force use " + inUse + " (load the guard with a larger prefix capacity)");
        }
    }

    private void clearSlot(BpfMap trie, int slot) {
        for (byte[] k : trie.keys()) if (k[GuardLayout.LpmKey.SLOT] == slot) trie.delete(k);
    }

    /** Whether a direction's prefixes are few enough per family to be matched in the ruleset's header. */
    private boolean fitsInline(List<CompiledRuleSet.LpmEntry> entries) {
        long v4 = entries.stream().filter(e -> e.family() == 4).count();
        return v4 <= options.inlinePrefixes() && entries.size() - v4 <= options.inlinePrefixes();
    }

    /** {@code struct pl_guard_prefixes}: each entry as its masked address, its mask and its bitmap. */
    private static void writeList(MemorySegment list, List<CompiledRuleSet.LpmEntry> entries) {
        int n4 = 0, n6 = 0;
        for (CompiledRuleSet.LpmEntry e : entries) {
            boolean v4 = e.family() == 4;
            int bytes = v4 ? 4 : 16;
            long at = v4 ? GuardLayout.Prefixes.V4 + (long) n4++ * GuardLayout.Prefix4.SIZE
                    : GuardLayout.Prefixes.V6 + (long) n6++ * GuardLayout.Prefix6.SIZE;
            long mask = v4 ? GuardLayout.Prefix4.MASK : GuardLayout.Prefix6.MASK;
            long w = v4 ? GuardLayout.Prefix4.W : GuardLayout.Prefix6.W;
            for (int b = 0; b < bytes; b++) {
                int bits = Math.clamp(e.length() - b * 8L, 0, 8);
                byte m = (byte) (0xff00 >>> bits);
                list.set(JAVA_BYTE, at + mask + b, m);
                list.set(JAVA_BYTE, at + b, (byte) (e.address()[b] & m));
            }
            for (int i = 0; i < GuardLayout.WORDS; i++) list.set(JAVA_LONG, at + w + i * 8L, e.bits()[i]);
        }
        list.set(JAVA_BYTE, GuardLayout.Prefixes.N4, (byte) n4);
        list.set(JAVA_BYTE, GuardLayout.Prefixes.N6, (byte) n6);
    }

    private void writeEntries(BpfMap trie, List<CompiledRuleSet.LpmEntry> entries, int slot) {
        for (CompiledRuleSet.LpmEntry e : entries) {
            e.writeKey(lpmKey, slot);
            e.writeValue(bits);
            trie.update(lpmKey, bits, UpdateFlag.ANY);
        }
    }

    private void zeroPerCpu(BpfMap map, int index) {
        perCpu.fill((byte) 0);
        key4.set(JAVA_INT, 0, index);
        map.update(key4, perCpu);
    }

    private Count perCpuCount(BpfMap map, int index) {
        key4.set(JAVA_INT, 0, index);
        if (!map.lookup(key4, perCpu)) return Count.ZERO;
        int stride = PerCpu.stride(GuardLayout.Count.SIZE);
        return new Count(PerCpu.sumLongs(perCpu, 0, stride), PerCpu.sumLongs(perCpu, 8, stride));
    }

    private Count slotCount(int slot) {
        return perCpuCount(object.map(GuardLayout.SLOT_COUNTS), slot);
    }

    // ---- counters ----

    /** One YAML rule's counts: the sum of its kernel rules. */
    public record RuleCount(String name, int priority, Count count) {}

    /** Per YAML rule of one generation's ruleset, in evaluation order. */
    public record RuleCounters(long generation, List<RuleCount> rules) {
        public Count of(String name) {
            return rules.stream().filter(r -> r.name().equals(name)).map(RuleCount::count).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no rule named " + name));
        }
    }

    /** The active ruleset's rule counters. */
    public synchronized RuleCounters ruleCounters() {
        return ruleCounters(activeSlot);
    }

    /** The previous ruleset's (still readable until the next install), or null after the first install. */
    public synchronized RuleCounters previousRuleCounters() {
        return slots[1 - activeSlot] == null ? null : ruleCounters(1 - activeSlot);
    }

    private RuleCounters ruleCounters(int slot) {
        return view.ruleCounters(slot, slotGeneration[slot]);
    }

    /** Every counter by reason (drop reasons and the rest), summed over CPUs. */
    public synchronized Map<DropReason, Count> reasons() {
        return view.reasons();
    }

    /**
     * Packets (and bytes) each generation's ruleset handled: finished generations as counted when their slot was
     * reused, the active and previous ones as they stand. Every packet the program saw is in exactly one.
     */
    public synchronized Map<Long, Count> generations() {
        Map<Long, Count> out = new TreeMap<>(finished);
        for (int s = 0; s < 2; s++) if (slotGeneration[s] > 0) out.merge(slotGeneration[s], slotCount(s), Count::plus);
        return out;
    }

    /** Fill of one kernel table. */
    public record TableFill(String table, int entries, int capacity) {}

    /** Fragment, bucket, ban and dropped-source tables: entries now and capacity. */
    public synchronized List<TableFill> tables() {
        return view.tables();
    }

    /** A source and what of it was dropped. */
    public record DroppedSource(InetAddress address, Count count) {}

    /** The sources with the most dropped packets (from an LRU table: under a flood of spoofed sources, an estimate). */
    public synchronized List<DroppedSource> topDroppedSources(int n) {
        return view.topDroppedSources(n);
    }

    /** A ban: the source prefix, what is left of it, and the limiter that made it (its tag). */
    public record Ban(InetAddress address, int prefix, Duration remaining, int limiterTag) {}

    /** Bans in force (expired ones that {@link #expire()} has not removed yet are left out). */
    public synchronized List<Ban> bans() {
        return view.bans();
    }

    /** What {@link #expire()} removed. */
    public record Expired(int fragments, int buckets, int bans, int connections) {}

    /**
     * Removes expired fragment entries, bans and tracked connections, and buckets idle longer than
     * {@link GuardOptions#bucketIdle()}.
     */
    public synchronized Expired expire() {
        long now = System.nanoTime();
        int f = removeIf(object.map(GuardLayout.FRAGS), v -> v.get(JAVA_LONG, GuardLayout.Frag.EXPIRES_NS) < now);
        int b = removeIf(object.map(GuardLayout.BANS), v -> v.get(JAVA_LONG, GuardLayout.Ban.EXPIRES_NS) < now);
        long idle = now - options.bucketIdle().toNanos();
        BpfMap buckets = object.map(GuardLayout.BUCKETS);
        int stride = PerCpu.stride(GuardLayout.Bucket.SIZE);
        int cpus = buckets.type().isPerCpu() ? PerCpu.cpus() : 1;
        int k = removeIf(buckets, v -> {
            long last = 0;
            for (int c = 0; c < cpus; c++) last = Math.max(last, v.get(JAVA_LONG, (long) c * stride + GuardLayout.Bucket.LAST_NS));
            return last < idle;
        });
        int c = connections.expire().size();
        return new Expired(f, k, b, c);
    }

    private static int removeIf(BpfMap map, java.util.function.Predicate<MemorySegment> expired) {
        List<byte[]> gone = new ArrayList<>();
        map.forEach((k, v) -> {
            if (expired.test(v)) gone.add(k.toArray(JAVA_BYTE));
        });
        int n = 0;
        for (byte[] k : gone) if (map.delete(k)) n++;
        return n;
    }

    static InetAddress address(int family, MemorySegment s, long off) {
        byte[] a = new byte[family == 4 ? 4 : 16];
        MemorySegment.copy(s, JAVA_BYTE, off, a, 0, a.length);
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Little-endian long of a key or value held as bytes. */
    static long le64(byte[] b, int off) {
        return ByteBuffer.wrap(b, off, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** Lets go: unpinned links detach; pinned links and maps stay in the kernel, still filtering. */
    @Override
    public synchronized void close() {
        if (!arena.scope().isAlive()) return;
        try {
            links.forEach(Link::close);
            links.clear();
        } finally {
            view.close();
            connections.close();
            object.close();
            arena.close();
        }
    }
}
