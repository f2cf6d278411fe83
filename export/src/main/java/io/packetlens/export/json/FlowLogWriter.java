package io.packetlens.export.json;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Appends JSON lines to a file and rotates it by size, as log daemons do: when the next batch would
 * pass {@code maxBytes}, {@code path.(keep-1)} becomes {@code path.keep} ... {@code path} becomes
 * {@code path.1}, and a new {@code path} starts. {@code keep = 0} keeps no old files. Each batch is
 * one write of whole lines.
 */
final class FlowLogWriter implements AutoCloseable {
    private final Path path;
    private final long maxBytes;
    private final int keep;
    private OutputStream out;
    private long size;
    private long rotations;

    FlowLogWriter(Path path, long maxBytes, int keep) throws IOException {
        this.path = path;
        this.maxBytes = maxBytes;
        this.keep = keep;
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        open();
    }

    private void open() throws IOException {
        out = Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        size = Files.size(path);
    }

    /** Writes the lines gathered in {@code lines}, rotating first if they would not fit. */
    void write(JsonLines lines) throws IOException {
        int bytes = lines.size();
        if (bytes == 0) return;
        if (size > 0 && size + bytes > maxBytes) rotate();
        lines.writeTo(out);
        size += bytes;
    }

    private void rotate() throws IOException {
        out.close();
        if (keep == 0) {
            Files.delete(path);
        } else {
            Files.deleteIfExists(sibling(keep));
            for (int i = keep - 1; i >= 1; i--) {
                if (Files.exists(sibling(i))) Files.move(sibling(i), sibling(i + 1), StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(path, sibling(1), StandardCopyOption.REPLACE_EXISTING);
        }
        rotations++;
        open();
    }

    private Path sibling(int n) {
        return path.resolveSibling(path.getFileName() + "." + n);
    }

    long rotations() {
        return rotations;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
