package io.packetlens.dist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The tarball the build made (target/packetlens-VERSION-linux-ARCH.tar.gz), unpacked into a directory for a test. */
final class Distribution {
    private Distribution() {}

    static Path tarball() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("target"))) {
            List<Path> found = s.filter(p -> p.getFileName().toString().matches("packetlens-.*-linux-.*\\.tar\\.gz")).toList();
            if (found.size() != 1) throw new IllegalStateException("expected one distribution tarball in target/, found " + found);
            return found.getFirst().toAbsolutePath();
        }
    }

    /** Unpacks the tarball into {@code dir} and returns the distribution's top directory. */
    static Path unpack(Path dir) throws Exception {
        Process p = new ProcessBuilder("tar", "-xzf", tarball().toString(), "-C", dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException("tar failed: " + out);
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).findFirst().orElseThrow();
        }
    }
}
