package io.packetlens.guard;

import io.packetlens.ebpf.BpfException;
import io.packetlens.conntrack.ConntrackCounter;
import io.packetlens.conntrack.ConntrackLayout;
import io.packetlens.conntrack.ConntrackTable;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.PerCpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What a guard counted, read from its maps: of the {@link GuardProgram} of this process, or of a pinned guard that
 * another process (or none) runs ({@link #openPinned}), for {@code packetlens guard status}. Rule counters are summed
 * by rule of the file through {@code guard_rule_names}, which every install writes beside the rules.
 */
public final class GuardView implements AutoCloseable {
    private final Function<String, BpfMap> maps;
    private final List<BpfMap> owned;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment key4 = arena.allocate(4, 4);
    private final MemorySegment activeValue = arena.allocate(GuardLayout.Active.SIZE, 8);
    private final MemorySegment setValue = arena.allocate(GuardLayout.Set.SIZE, 8);
    private final MemorySegment nameValue = arena.allocate(GuardLayout.RuleName.SIZE, 8);
    private final MemorySegment perCpuValue = arena.allocate(PerCpu.size(GuardLayout.Count.SIZE), 8);

    private GuardView(Function<String, BpfMap> maps, List<BpfMap> owned) {
        this.maps = maps;
        this.owned = owned;
    }

    /** Over maps someone else owns (the program's object): closing the view does not close them. */
    static GuardView over(Function<String, BpfMap> maps) {
        return new GuardView(maps, List.of());
    }

    /** Opens the maps of the guard pinned in {@code dir}; an error says so when there is none. */
    public static GuardView openPinned(Path dir) {
        if (!Files.exists(dir.resolve(GuardLayout.ACTIVE)) || !Files.exists(dir.resolve(GuardLayout.RULE_NAMES))) {
            throw new BpfException("no guard is pinned in " + dir + " (start one with `packetlens guard -i IFACE --rules FILE`)");
        }
        Map<String, BpfMap> opened = new HashMap<>();
        try {
            for (String m : List.of(GuardLayout.ACTIVE, GuardLayout.RULE_NAMES, GuardLayout.RULE_COUNTS, GuardLayout.COUNTERS,
                    GuardLayout.FRAGS, GuardLayout.BUCKETS, GuardLayout.BANS, GuardLayout.DROP_SOURCES, GuardLayout.SRC, GuardLayout.DST,
                    GuardLayout.SETS)) {
                opened.put(m, BpfMap.openPinned(dir.resolve(m)));
            }
            // the tracker of state rules (a guard pinned by an earlier version has none)
            for (String m : List.of(ConntrackLayout.TABLE, ConntrackLayout.COUNTERS)) {
                if (Files.exists(dir.resolve(m))) opened.put(m, BpfMap.openPinned(dir.resolve(m)));
            }
        } catch (RuntimeException e) {
            opened.values().forEach(BpfMap::close);
            throw e;
        }
        return new GuardView(opened::get, List.copyOf(opened.values()));
    }

    private BpfMap map(String name) {
        return maps.apply(name);
    }

    /** The tracker's counters of state rules (packets tracked, table full, invalid, ...), summed over CPUs; empty without. */
    public synchronized Map<ConntrackCounter, Long> connectionCounters() {
        BpfMap m = map(ConntrackLayout.COUNTERS);
        return m == null ? Map.of() : ConntrackTable.counters(m);
    }

    /** The active slot (0 or 1) and its generation. */
    public synchronized long[] active() {
        MemorySegment v = activeValue;
        key4.set(JAVA_INT, 0, 0);
        if (!map(GuardLayout.ACTIVE).lookup(key4, v)) return new long[] {0, 0};
        return new long[] {v.get(JAVA_INT, GuardLayout.Active.SLOT) & 1, v.get(JAVA_LONG, GuardLayout.Active.GENERATION)};
    }

    /** Whether the active ruleset runs dry. */
    public synchronized boolean dryRun() {
        MemorySegment v = setValue;
        key4.set(JAVA_INT, 0, (int) active()[0]);
        return map(GuardLayout.SETS).lookup(key4, v) && v.get(JAVA_BYTE, GuardLayout.Set.DRY_RUN) != 0;
    }

    /** Per rule of the file, the counts of its kernel rules in {@code slot}, in evaluation order. */
    public synchronized GuardProgram.RuleCounters ruleCounters(int slot, long generation) {
        BpfMap names = map(GuardLayout.RULE_NAMES), counts = map(GuardLayout.RULE_COUNTS);
        MemorySegment name = nameValue;
        TreeMap<Integer, Object[]> rules = new TreeMap<>();
        for (int k = 0; k < GuardLayout.MAX_RULES; k++) {
            key4.set(JAVA_INT, 0, slot * GuardLayout.MAX_RULES + k);
            if (!names.lookup(key4, name)) continue;
            int rule = name.get(JAVA_INT, GuardLayout.RuleName.RULE);
            if (rule == GuardLayout.RuleName.NONE) continue;
            Object[] r = rules.computeIfAbsent(rule, x -> new Object[] {text(name), name.get(JAVA_INT, GuardLayout.RuleName.PRIORITY), Count.ZERO});
            r[2] = ((Count) r[2]).plus(perCpuCount(counts, slot * GuardLayout.MAX_RULES + k));
        }
        List<GuardProgram.RuleCount> out = new ArrayList<>();
        rules.values().forEach(r -> out.add(new GuardProgram.RuleCount((String) r[0], (Integer) r[1], (Count) r[2])));
        return new GuardProgram.RuleCounters(generation, out);
    }

    /** The active ruleset's rule counters. */
    public GuardProgram.RuleCounters ruleCounters() {
        long[] a = active();
        return ruleCounters((int) a[0], a[1]);
    }

    private static String text(MemorySegment name) {
        byte[] b = name.asSlice(GuardLayout.RuleName.NAME, GuardLayout.RuleName.NAME_BYTES).toArray(JAVA_BYTE);
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    /** Every counter by reason (drop reasons and the rest), summed over CPUs. */
    public synchronized Map<DropReason, Count> reasons() {
        Map<DropReason, Count> out = new LinkedHashMap<>();
        BpfMap m = map(GuardLayout.COUNTERS);
        for (DropReason r : DropReason.values()) out.put(r, perCpuCount(m, r.slot()));
        return out;
    }

    /**
     * Fragment, bucket, ban and dropped-source tables, the prefix tries and the connection table of state rules:
     * entries now and capacity.
     */
    public synchronized List<GuardProgram.TableFill> tables() {
        List<GuardProgram.TableFill> out = new ArrayList<>();
        for (String t : List.of(GuardLayout.FRAGS, GuardLayout.BUCKETS, GuardLayout.BANS, GuardLayout.DROP_SOURCES, GuardLayout.SRC, GuardLayout.DST,
                ConntrackLayout.TABLE)) {
            BpfMap m = map(t);
            if (m == null) continue;
            // an array's keys are all its slots: the dropped-source table's fill is its slots in use (every CPU's)
            int used = t.equals(GuardLayout.DROP_SOURCES) ? occupiedSourceSlots(m) : m.keys().size();
            out.add(new GuardProgram.TableFill(t, used, m.maxEntries()));
        }
        return out;
    }

    /**
     * The sources with the most dropped packets, summed over CPUs. The table is a per-CPU heavy-hitter table (see
     * {@code struct pl_guard_source}): a source that drops steadily is counted exactly; under a spray of spoofed
     * sources the light ones come and go, and what the table does not hold is counted as {@link DropReason#SOURCES_FULL}.
     */
    public synchronized List<GuardProgram.DroppedSource> topDroppedSources(int n) {
        List<GuardProgram.DroppedSource> out = new ArrayList<>(sourceSlots().values());
        out.sort(Comparator.comparingLong((GuardProgram.DroppedSource d) -> d.count().packets()).reversed());
        return out.subList(0, Math.min(n, out.size()));
    }

    /** Slots of the dropped-source table that hold a source, over all CPUs' runs of slots. */
    private static int occupiedSourceSlots(BpfMap m) {
        int[] used = {0};
        m.forEach((k, v) -> {
            if (v.get(JAVA_LONG, GuardLayout.Source.PACKETS) != 0) used[0]++;
        });
        return used[0];
    }

    /** Every source the table holds on some CPU, its drops summed over CPUs (a source has the same slot in each CPU's run). */
    private Map<InetAddress, GuardProgram.DroppedSource> sourceSlots() {
        Map<InetAddress, GuardProgram.DroppedSource> by = new LinkedHashMap<>();
        BpfMap m = map(GuardLayout.DROP_SOURCES);
        m.forEach((k, v) -> {
            long packets = v.get(JAVA_LONG, GuardLayout.Source.PACKETS);
            if (packets == 0) return;
            InetAddress a = GuardProgram.address(v.get(JAVA_BYTE, GuardLayout.Source.FAMILY), v, GuardLayout.Source.ADDR);
            long bytes = v.get(JAVA_LONG, GuardLayout.Source.BYTES);
            by.merge(a, new GuardProgram.DroppedSource(a, new Count(packets, bytes)),
                    (x, y) -> new GuardProgram.DroppedSource(a, x.count().plus(y.count())));
        });
        return by;
    }

    /** Bans in force (expired ones not yet removed are left out). */
    public synchronized List<GuardProgram.Ban> bans() {
        long now = System.nanoTime();
        List<GuardProgram.Ban> out = new ArrayList<>();
        map(GuardLayout.BANS).forEach((k, v) -> {
            long expires = v.get(JAVA_LONG, GuardLayout.Ban.EXPIRES_NS);
            if (expires <= now) return;
            int family = k.get(JAVA_BYTE, GuardLayout.BanKey.FAMILY);
            out.add(new GuardProgram.Ban(GuardProgram.address(family, k, GuardLayout.BanKey.ADDR), k.get(JAVA_INT, 0) - 8,
                    Duration.ofNanos(expires - now), v.get(JAVA_INT, GuardLayout.Ban.TAG)));
        });
        return out;
    }

    private Count perCpuCount(BpfMap map, int index) {
        MemorySegment v = perCpuValue;
        key4.set(JAVA_INT, 0, index);
        if (!map.lookup(key4, v)) return Count.ZERO;
        int stride = PerCpu.stride(GuardLayout.Count.SIZE);
        return new Count(PerCpu.sumLongs(v, 0, stride), PerCpu.sumLongs(v, 8, stride));
    }

    @Override
    public synchronized void close() {
        owned.forEach(BpfMap::close);
        arena.close();
    }
}
