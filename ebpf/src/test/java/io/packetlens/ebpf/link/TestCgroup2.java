package io.packetlens.ebpf.link;

import io.packetlens.ebpf.cgroup.Cgroup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The cgroup2 hierarchy for a test: the machine's if one is mounted, else a mount of our own under a temporary
 * directory (the same single hierarchy under another path), unmounted and removed again by {@link #close()}. The
 * 6.1 VM of scripts/test-kernel61.sh mounts no cgroup2.
 */
final class TestCgroup2 implements AutoCloseable {
    private final Cgroup root;
    private final Path ownMount;

    private TestCgroup2(Cgroup root, Path ownMount) {
        this.root = root;
        this.ownMount = ownMount;
    }

    static TestCgroup2 open() {
        var found = Cgroup.findRoot();
        if (found.isPresent()) return new TestCgroup2(found.get(), null);
        try {
            Path dir = Files.createTempDirectory("pl-cgroup2");
            return new TestCgroup2(Cgroup.root(dir), dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Cgroup root() {
        return root;
    }

    @Override
    public void close() throws Exception {
        if (ownMount == null) return;
        CgroupLinkTest.run("umount", ownMount.toString());
        Files.delete(ownMount);
    }
}
