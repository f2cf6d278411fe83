package io.packetlens.flow;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The bpffs directory where a flow program's tables and links are pinned ({@link FlowConfig#pinDirectory()}): the
 * kernel keeps counting while no process runs, and the next process reuses the tables and puts its own program behind
 * the links, carrying on exactly where the last one stopped. Pinned: {@code flow_table}, {@code flow_other},
 * {@code flow_counters}, {@code flow_meta} (which layout wrote them: {@code struct pl_flow_meta}), {@code flow_exported}
 * (what was already reported of flows still in the table) and one link per hook and interface. Tables written by
 * another layout or of another size are refused with a message, never misread.
 */
public final class FlowPins {
    /** {@code PL_FLOW_LAYOUT} of packetlens_flow.h. */
    public static final int LAYOUT = 2;
    static final int MAGIC = 0x4c46_4c50; // "PLFL" as the kernel stores the u32 on x86
    static final String META = "flow_meta", EXPORTED = "flow_exported";
    /** The maps that are pinned (the event ring is not: its records belong to the reader of the moment). */
    static final List<String> MAPS = List.of(FlowProgram.FLOW_TABLE, FlowProgram.OTHER_TABLE, FlowProgram.COUNTERS, META, EXPORTED);
    private static final String LINK_PREFIX = "link-";

    private final Path dir;

    public FlowPins(Path dir) {
        this.dir = dir.toAbsolutePath();
    }

    public Path directory() {
        return dir;
    }

    /** Whether tables from an earlier process are pinned there. */
    public boolean exist() {
        return Files.exists(dir.resolve(FlowProgram.FLOW_TABLE)) || Files.exists(dir.resolve(META));
    }

    /**
     * Pinned tables this configuration or this version must not use (another layout, size or kind): a decision for the
     * user, never a reason to fall back to counting without them.
     */
    public static final class MismatchException extends BpfException {
        MismatchException(String message) {
            super(message);
        }
    }

    /**
     * Refuses, before anything is loaded, tables pinned by another layout or of another size or kind than
     * {@code config} asks for; creates the directory when there is none.
     */
    void check(FlowConfig config) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new BpfException("cannot create the pin directory " + dir + ": " + e.getMessage()
                    + " (it must be on a bpf file system, e.g. under /sys/fs/bpf, and names there may not contain '.')");
        }
        if (!exist()) return;
        String fix = " To start afresh, export and remove them with the version that made them (`packetlens agent --unpin ...`),"
                + " or delete " + dir + " (what they counted since the last report is then lost).";
        Path metaPin = dir.resolve(META);
        if (!Files.exists(metaPin)) {
            throw new MismatchException("the flow tables pinned in " + dir + " carry no layout record (flow_meta), so this packetlens"
                    + " cannot tell what wrote them and will not read them." + fix);
        }
        try (BpfMap meta = BpfMap.openPinned(metaPin); Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(4, 4), value = arena.allocate(meta.valueSize(), 8);
            int magic = 0, layout = 0, keySize = 0, valueSize = 0;
            if (meta.valueSize() >= 16 && meta.lookup(key, value)) {
                magic = value.get(JAVA_INT, 0);
                layout = value.get(JAVA_INT, 4);
                keySize = value.get(JAVA_INT, 8);
                valueSize = value.get(JAVA_INT, 12);
            }
            if (magic != MAGIC || layout != LAYOUT || keySize != FlowKey.SIZE || valueSize != FlowRecord.SIZE) {
                throw new MismatchException("the flow tables pinned in " + dir + " were written with flow layout " + layout
                        + " (key " + keySize + " bytes, record " + valueSize + " bytes); this packetlens reads layout " + LAYOUT
                        + " (key " + FlowKey.SIZE + ", record " + FlowRecord.SIZE + ") and will not misread them." + fix);
            }
        }
        Path tablePin = dir.resolve(FlowProgram.FLOW_TABLE);
        if (Files.exists(tablePin)) {
            try (BpfMap table = BpfMap.openPinned(tablePin)) {
                boolean perCpu = config.tableKind() == FlowConfig.TableKind.PER_CPU;
                if (table.maxEntries() != config.tableSize() || table.type().isPerCpu() != perCpu) {
                    throw new MismatchException("the flow table pinned in " + dir + " holds " + table.maxEntries() + " flows"
                            + (table.type().isPerCpu() ? " per CPU" : "") + "; this configuration asks for " + config.tableSize()
                            + (perCpu ? " per CPU" : "") + ". Configure the pinned size to carry on with it." + fix);
                }
            }
        }
    }

    /** Writes this version's layout into {@code flow_meta} (a fresh map is all zeros). */
    static void stamp(BpfMap meta) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(4, 4), value = arena.allocate(meta.valueSize(), 8);
            value.set(JAVA_INT, 0, MAGIC);
            value.set(JAVA_INT, 4, LAYOUT);
            value.set(JAVA_INT, 8, FlowKey.SIZE);
            value.set(JAVA_INT, 12, FlowRecord.SIZE);
            meta.update(key, value);
        }
    }

    /**
     * Where the link of {@code hook} on an interface is pinned. The namespace is part of the name (the same interface
     * name exists in many); bpffs refuses names with '.', which interface names may have (eth0.100), so those become '_'.
     */
    public Path link(FlowProgram.Hook hook, String netns, String ifname) {
        String ns = netns == null ? "" : netns.replace('/', '_') + "-";
        return dir.resolve((LINK_PREFIX + hook.name().toLowerCase() + "-" + ns + ifname).replace('.', '_'));
    }

    /** The links pinned in the directory now. */
    public List<Path> links() {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(LINK_PREFIX)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes every pin made here (maps and links; a link's pin removed does not detach a link still open), and the directory if empty. */
    public void remove() {
        List<Path> pins = new ArrayList<>(links());
        for (String m : MAPS) pins.add(dir.resolve(m));
        for (Path p : pins) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove pin " + p, e);
            }
        }
        try (Stream<Path> s = Files.list(dir)) {
            if (s.findAny().isEmpty()) Files.delete(dir);
        } catch (IOException ignored) {
            // a directory with other pins in it, or gone already, stays as it is
        }
    }

    @Override
    public String toString() {
        return "flow pins in " + dir;
    }
}
