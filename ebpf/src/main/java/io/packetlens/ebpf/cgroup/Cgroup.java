package io.packetlens.ebpf.cgroup;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.sys.Mounts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A cgroup v2 directory: where cgroup BPF programs (cgroup_skb ingress/egress, ...) attach,
 * affecting the sockets of every process in it and below. Finds or mounts the cgroup2 file
 * system, creates child groups, moves processes in (by writing cgroup.procs) and removes
 * groups it created.
 */
public final class Cgroup {
    /** The conventional mount point of the unified hierarchy. */
    public static final Path DEFAULT_ROOT = Path.of("/sys/fs/cgroup");

    private final Path dir;

    private Cgroup(Path dir) {
        this.dir = dir;
    }

    /** A cgroup v2 directory that already exists; a clear error if it is not one. */
    public static Cgroup of(Path dir) {
        if (!Files.isDirectory(dir)) throw new BpfException.NotFoundException("no cgroup directory " + dir);
        if (!Files.exists(dir.resolve("cgroup.procs")) || !Files.exists(dir.resolve("cgroup.controllers"))) {
            throw new BpfException(dir + " is not a cgroup v2 directory (no cgroup.controllers); cgroup BPF programs need cgroup2: "
                    + "mount one with `mount -t cgroup2 none DIR`, or use Cgroup.root()");
        }
        return new Cgroup(dir);
    }

    /** The root of the mounted cgroup2 hierarchy, if the machine has one. */
    public static Optional<Cgroup> findRoot() {
        return Mounts.find("cgroup2").map(Cgroup::new);
    }

    /**
     * The root of the cgroup2 hierarchy, mounting it at {@code mountPoint} if none is mounted
     * (a second mount of cgroup2 shows the same single hierarchy, so this is harmless).
     */
    public static Cgroup root(Path mountPoint) {
        Optional<Cgroup> found = findRoot();
        if (found.isPresent()) return found.get();
        try {
            Files.createDirectories(mountPoint);
        } catch (IOException e) {
            throw new BpfException("cannot create " + mountPoint + " to mount cgroup2 on: " + e.getMessage(), e);
        }
        Mounts.mount("none", mountPoint, "cgroup2");
        return new Cgroup(mountPoint);
    }

    public Path path() {
        return dir;
    }

    /** Creates a child group {@code name} (or opens it if it exists). */
    public Cgroup child(String name) {
        if (name.contains("/") || name.isEmpty()) throw new IllegalArgumentException("bad cgroup name '" + name + "'");
        Path child = dir.resolve(name);
        try {
            if (!Files.isDirectory(child)) Files.createDirectory(child);
        } catch (IOException e) {
            throw new BpfException("cannot create cgroup " + child + ": " + e, e);
        }
        return new Cgroup(child);
    }

    /** Moves process {@code pid} (all its threads) into this group; its new sockets then belong here. */
    public void add(long pid) {
        try {
            Files.writeString(dir.resolve("cgroup.procs"), Long.toString(pid));
        } catch (IOException e) {
            throw new BpfException("cannot move process " + pid + " into " + dir + ": " + e, e);
        }
    }

    /** The processes in this group (not in its children). */
    public List<Long> processes() {
        try {
            return Files.readAllLines(dir.resolve("cgroup.procs")).stream().filter(s -> !s.isBlank()).map(Long::parseLong).toList();
        } catch (IOException e) {
            throw new BpfException("cannot read " + dir.resolve("cgroup.procs") + ": " + e, e);
        }
    }

    /** Removes this (empty) group; processes still in it must be moved out or gone first. */
    public void delete() {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new BpfException("cannot remove cgroup " + dir + " (processes still in it? " + processes() + "): " + e, e);
        }
    }

    @Override
    public String toString() {
        return "Cgroup[" + dir + "]";
    }
}
