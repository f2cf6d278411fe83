package io.packetlens.export.json;

import io.packetlens.export.ExportContext;
import io.packetlens.export.Exporter;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowEvent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The flow log: finished flows (and, if asked, events) as JSON lines in a file rotated by size
 * ({@code type: file} in the configuration, or {@code --flow-log FILE}).
 */
public final class FileExporter implements Exporter {
    /** Rotate before the file passes this size. */
    public static final long DEFAULT_MAX_BYTES = 100L << 20;
    /** Old files kept: path.1 ... path.5. */
    public static final int DEFAULT_KEEP = 5;

    private final Path path;
    private final long maxBytes;
    private final int keep;
    private final boolean events;
    private final JsonLines lines;
    private FlowLogWriter writer;

    public FileExporter(Path path, long maxBytes, int keep, boolean events, ExportContext context) {
        this.path = path;
        this.maxBytes = maxBytes;
        this.keep = keep;
        this.events = events;
        this.lines = new JsonLines(context);
    }

    public Path path() {
        return path;
    }

    @Override
    public void open() throws IOException {
        if (writer != null) writer.close();
        writer = new FlowLogWriter(path, maxBytes, keep);
    }

    @Override
    public void send(List<FinishedFlow> flows) throws IOException {
        for (FinishedFlow f : flows) lines.add(f);
        writer.write(lines);
    }

    @Override
    public void sendEvents(List<FlowEvent> batch) throws IOException {
        for (FlowEvent e : batch) lines.add(e);
        writer.write(lines);
    }

    @Override
    public boolean wantsEvents() {
        return events;
    }

    /** Files rotated since opening. */
    public long rotations() {
        return writer == null ? 0 : writer.rotations();
    }

    @Override
    public void close() {
        try {
            if (writer != null) writer.close();
        } catch (IOException e) {
            System.getLogger("packetlens.export").log(System.Logger.Level.WARNING, "closing flow log " + path + ": " + e.getMessage());
        }
    }
}
