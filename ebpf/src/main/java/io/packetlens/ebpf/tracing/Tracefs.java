package io.packetlens.ebpf.tracing;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.sys.Mounts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The tracing file system, where each tracepoint has a directory
 * {@code events/<category>/<name>/} with its perf event {@code id} and its record
 * {@code format}. If the machine has not mounted it, {@link #root()} mounts it at its
 * standard place, /sys/kernel/tracing (root only); errors say how to do it by hand.
 */
public final class Tracefs {
    public static final Path STANDARD = Path.of("/sys/kernel/tracing");
    private static final String HOW = "mount it with `mount -t tracefs nodev /sys/kernel/tracing`";

    private static volatile Path root;

    private Tracefs() {}

    /** The tracefs root, mounting tracefs at /sys/kernel/tracing if no tracefs is mounted anywhere. */
    public static Path root() {
        Path r = root;
        if (r != null && Files.isDirectory(r.resolve("events"))) return r;
        synchronized (Tracefs.class) {
            Optional<Path> found = Mounts.find("tracefs");
            if (found.isEmpty()) {
                // debugfs mounted without tracefs still shows the tracing directory
                found = Mounts.find("debugfs").map(d -> d.resolve("tracing")).filter(d -> Files.isDirectory(d.resolve("events")));
            }
            if (found.isEmpty()) {
                if (!Files.isDirectory(STANDARD)) {
                    throw new BpfException("tracefs is not mounted and " + STANDARD + " does not exist (kernel without CONFIG_TRACING?)");
                }
                try {
                    Mounts.mount("nodev", STANDARD, "tracefs");
                } catch (BpfException e) {
                    throw new BpfException("tracefs is not mounted, and mounting it failed: " + e.getMessage() + "; " + HOW, e);
                }
                found = Optional.of(STANDARD);
            }
            root = found.get();
            return root;
        }
    }

    /** Whether this JVM found tracefs already mounted (false if {@link #root()} had to mount it or was not called). */
    public static boolean isMounted() {
        return Mounts.find("tracefs").isPresent();
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
