package io.packetlens.export.json;

import io.packetlens.export.ExportContext;
import io.packetlens.export.Exporter;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowEvent;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * Finished flows (and, if asked, events) as JSON lines on a stream: {@code packetlens flows --json}
 * writes to standard output through it. A slow reader of the pipe slows this thread only.
 */
public final class StreamExporter implements Exporter {
    private final OutputStream out;
    private final boolean events;
    private final JsonLines lines;

    public StreamExporter(OutputStream out, boolean events, ExportContext context) {
        this.out = out;
        this.events = events;
        this.lines = new JsonLines(context);
    }

    @Override
    public void open() {}

    @Override
    public void send(List<FinishedFlow> flows) throws IOException {
        for (FinishedFlow f : flows) lines.add(f);
        lines.writeTo(out);
        out.flush();
    }

    @Override
    public void sendEvents(List<FlowEvent> batch) throws IOException {
        for (FlowEvent e : batch) lines.add(e);
        lines.writeTo(out);
        out.flush();
    }

    @Override
    public boolean wantsEvents() {
        return events;
    }

    /** Flushes; the stream itself stays open (standard output belongs to the process). */
    @Override
    public void close() {
        try {
            out.flush();
        } catch (IOException ignored) {
            // the reader went away: nothing left to tell it
        }
    }
}
