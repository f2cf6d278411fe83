package io.packetlens.monitor.log;

import io.packetlens.flow.FinishedFlow;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.function.IntFunction;

/**
 * Appends finished flows to a file as JSON lines and rotates it by size, as log daemons do:
 * when the next line would pass {@code maxBytes}, {@code path.(keep-1)} becomes {@code path.keep}
 * ... {@code path} becomes {@code path.1}, and a new {@code path} starts. {@code keep = 0} keeps
 * no old files.
 */
public final class FlowLogWriter implements AutoCloseable {
    private final Path path;
    private final long maxBytes;
    private final int keep;
    private final IntFunction<String> interfaceNames;
    private BufferedWriter out;
    private long size;
    private long written;
    private long rotations;

    public FlowLogWriter(Path path, long maxBytes, int keep, IntFunction<String> interfaceNames) {
        this.path = path;
        this.maxBytes = maxBytes;
        this.keep = keep;
        this.interfaceNames = interfaceNames;
        try {
            Path dir = path.toAbsolutePath().getParent();
            if (dir != null) Files.createDirectories(dir);
            open();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open flow log " + path + ": " + e.getMessage(), e);
        }
    }

    private void open() throws IOException {
        out = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        size = Files.size(path);
    }

    /** Writes one record (a line) and flushes, so that a reader tailing the file sees whole lines. */
    public synchronized void write(FinishedFlow flow) {
        String line = FlowJson.toLine(flow, interfaceNames.apply(flow.key().ifindex())) + "\n";
        int bytes = line.getBytes(StandardCharsets.UTF_8).length;
        try {
            if (size > 0 && size + bytes > maxBytes) rotate();
            out.write(line);
            out.flush();
            size += bytes;
            written++;
        } catch (IOException e) {
            throw new UncheckedIOException("writing flow log " + path, e);
        }
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

    /** Records written since opening. */
    public synchronized long written() {
        return written;
    }

    public synchronized long rotations() {
        return rotations;
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
