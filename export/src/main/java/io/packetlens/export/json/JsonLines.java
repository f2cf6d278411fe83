package io.packetlens.export.json;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import io.packetlens.export.ExportContext;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowEvent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A batch of records and events encoded as JSON lines into one byte buffer, so that each batch
 * reaches its file or pipe in whole lines with one write: a reader never sees half a record, even
 * when the writer is killed.
 */
final class JsonLines {
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(1 << 16);
    private final ExportContext context;

    JsonLines(ExportContext context) {
        this.context = context;
    }

    /** Appends one record's line. */
    void add(FinishedFlow f) throws IOException {
        try (JsonGenerator g = FlowJson.FACTORY.createGenerator((OutputStream) buffer, JsonEncoding.UTF8)) {
            FlowJson.write(g, f, context.interfaceName(f.key().ifindex()));
        }
        buffer.write('\n');
    }

    /** Appends one event's line ({@code {"event": ...}}). */
    void add(FlowEvent e) {
        byte[] line = EventJson.toLine(e, context.interfaceName(e.key().ifindex())).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        buffer.write(line, 0, line.length);
        buffer.write('\n');
    }

    int size() {
        return buffer.size();
    }

    /** Writes what was added in one call and starts over. */
    void writeTo(OutputStream out) throws IOException {
        buffer.writeTo(out);
        buffer.reset();
    }
}
