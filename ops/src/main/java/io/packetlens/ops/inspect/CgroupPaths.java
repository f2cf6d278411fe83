package io.packetlens.ops.inspect;

import io.packetlens.ebpf.features.KernelFileSystems;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Cgroup v2 ids to paths. A cgroup link reports the cgroup's id, which is the inode number of its directory in
 * every cgroup2 mount; finding the path means walking the hierarchy once (done lazily, on the first question).
 */
final class CgroupPaths {
    private Map<Long, Path> byInode;

    Optional<Path> path(long cgroupId) {
        if (byInode == null) byInode = walk();
        return Optional.ofNullable(byInode.get(cgroupId));
    }

    private static Map<Long, Path> walk() {
        Map<Long, Path> out = new HashMap<>();
        for (Path mount : KernelFileSystems.CGROUP2.mountPoints()) {
            try (Stream<Path> dirs = Files.walk(mount)) {
                dirs.filter(Files::isDirectory).forEach(d -> {
                    try {
                        out.putIfAbsent(((Number) Files.getAttribute(d, "unix:ino")).longValue(), d);
                    } catch (IOException | RuntimeException ignored) {
                        // removed meanwhile
                    }
                });
            } catch (IOException | RuntimeException ignored) {
                // a group removed during the walk ends this mount's walk early: the rest stays "cgroup id N"
            }
        }
        return out;
    }
}
