package io.packetlens.ebpf.features;

import io.packetlens.ebpf.sys.Mounts;
import io.packetlens.ebpf.sys.Statfs;

import java.nio.file.Path;
import java.util.List;

/**
 * The special file systems BPF tools depend on, recognised by the magic number statfs(2) reports
 * (linux/magic.h) rather than by a name in /proc/mounts: bpffs (pins), tracefs (tracepoints, trace_pipe),
 * cgroup v2 (cgroup programs), debugfs.
 */
public enum KernelFileSystems {
    BPF("bpf", Statfs.BPF_FS_MAGIC, Path.of("/sys/fs/bpf")),
    TRACEFS("tracefs", Statfs.TRACEFS_MAGIC, Path.of("/sys/kernel/tracing")),
    CGROUP2("cgroup2", Statfs.CGROUP2_SUPER_MAGIC, Path.of("/sys/fs/cgroup")),
    DEBUGFS("debugfs", Statfs.DEBUGFS_MAGIC, Path.of("/sys/kernel/debug"));

    private final String type;
    private final long magic;
    private final Path standard;

    KernelFileSystems(String type, long magic, Path standard) {
        this.type = type;
        this.magic = magic;
        this.standard = standard;
    }

    /** The type name {@code mount -t} takes. */
    public String type() {
        return type;
    }

    /** Where distributions mount it. */
    public Path standardPath() {
        return standard;
    }

    /** Whether {@code dir} is on this file system (statfs magic). */
    public boolean isAt(Path dir) {
        return Statfs.type(dir.toString()) == magic;
    }

    /** Every mount point of this file system that /proc/self/mounts lists and statfs confirms. */
    public List<Path> mountPoints() {
        return Mounts.findAll(type).stream().filter(this::isAt).toList();
    }
}
