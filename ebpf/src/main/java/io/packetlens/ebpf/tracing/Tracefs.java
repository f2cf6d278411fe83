package io.packetlens.ebpf.tracing;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.sys.Mounts;
import io.packetlens.ebpf.sys.Statfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The tracing file system, where each tracepoint has a directory
 * {@code events/<category>/<name>/} with its perf event {@code id} and its record
 * {@code format}, and {@code trace_pipe} carries bpf_printk output ({@link TracePipe}). It is found by its
 * file-system magic; if the machine has not mounted it, {@link #root()} mounts it at its
 * standard place, /sys/kernel/tracing (root only); errors say how to do it by hand.
 */
public final class Tracefs {
    public static final Path STANDARD = Path.of("/sys/kernel/tracing");
    private static final String HOW = "mount it with `mount -t tracefs nodev /sys/kernel/tracing`";

    private static volatile Path root;

    private Tracefs() {}

    /**
     * The tracefs root, mounting tracefs at /sys/kernel/tracing if none is mounted anywhere. A directory counts as
     * tracefs only if statfs(2) says so (TRACEFS_MAGIC): the type column of /proc/mounts names candidates, the magic
     * decides.
     */
    public static Path root() {
        Path r = root;
        if (r != null && Statfs.type(r.toString()) == Statfs.TRACEFS_MAGIC) return r;
        synchronized (Tracefs.class) {
            Optional<Path> found = find();
            if (found.isEmpty()) {
                if (!Files.isDirectory(STANDARD)) {
                    throw new BpfException("tracefs is not mounted and " + STANDARD + " does not exist (kernel without CONFIG_TRACING?)");
                }
                try {
                    Mounts.mount("nodev", STANDARD, "tracefs");
                } catch (BpfException e) {
                    throw new BpfException("tracefs is not mounted, and mounting it failed: " + e.getMessage() + "; " + HOW, e);
                }
                if (Statfs.type(STANDARD.toString()) != Statfs.TRACEFS_MAGIC) {
                    throw new BpfException("mounted tracefs at " + STANDARD + " but statfs does not report TRACEFS_MAGIC there; " + HOW);
                }
                found = Optional.of(STANDARD);
            }
            root = found.get();
            return root;
        }
    }

    /**
     * Where tracefs is mounted, without mounting it: every tracefs mount point /proc/self/mounts lists, then the
     * standard places (/sys/kernel/tracing, and debugfs's tracing directory, which the kernel mounts tracefs on when
     * it is first visited), the first whose statfs magic is TRACEFS_MAGIC.
     */
    public static Optional<Path> find() {
        List<Path> candidates = new ArrayList<>(Mounts.findAll("tracefs"));
        Mounts.findAll("debugfs").forEach(d -> candidates.add(d.resolve("tracing")));
        candidates.add(STANDARD);
        candidates.add(Path.of("/sys/kernel/debug/tracing"));
        for (Path c : candidates) {
            if (Statfs.type(c.toString()) == Statfs.TRACEFS_MAGIC) return Optional.of(c);
        }
        return Optional.empty();
    }

    /** Whether tracefs is mounted somewhere (true after {@link #root()} mounted it). */
    public static boolean isMounted() {
        return find().isPresent();
    }

    private static Path event(String category, String name) {
        if (category.contains("/") || name.contains("/") || category.contains("..") || name.contains("..")) {
            throw new IllegalArgumentException("bad tracepoint name " + category + "/" + name);
        }
        Path dir = root().resolve("events").resolve(category).resolve(name);
        if (!Files.isDirectory(dir)) {
            throw new BpfException.NotFoundException("no tracepoint " + category + ":" + name + " on this kernel (no " + dir
                    + "; see " + root().resolve("available_events") + ")");
        }
        return dir;
    }

    /** The perf event id of tracepoint {@code category:name} (PERF_TYPE_TRACEPOINT config). */
    public static int eventId(String category, String name) {
        Path file = event(category, name).resolve("id");
        try {
            return Integer.parseInt(Files.readString(file).strip());
        } catch (IOException | NumberFormatException e) {
            throw new BpfException("cannot read " + file + ": " + e, e);
        }
    }

    /** The record layout of tracepoint {@code category:name}, as its tracefs format file describes it. */
    public static TracepointFormat format(String category, String name) {
        Path file = event(category, name).resolve("format");
        try {
            return TracepointFormat.parse(category, Files.readString(file));
        } catch (IOException e) {
            throw new BpfException("cannot read " + file + ": " + e, e);
        }
    }
}
