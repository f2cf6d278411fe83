package io.packetlens.export.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.packetlens.flow.FlowEvent;
import io.packetlens.flow.FlowKey;
import io.packetlens.flow.TcpFlags;
import io.packetlens.config.ConfigNode;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * One flow program event ({@link FlowEvent}) as a JSON line {@code {"event": {...}}}, with the flow's fields named as
 * in flow records ({@link FlowJson}: IPFIX information elements), plus {@code type} (new-flow, tcp, sample, overflow),
 * {@code time} (ISO-8601), {@code packetLength}, {@code tcpFlags} (names) and for samples {@code data} (hex).
 */
public final class EventJson {
    private EventJson() {}

    /** The event as a JSON tree (for tests and tools). */
    public static ObjectNode toJson(FlowEvent e, String interfaceName) {
        return FlowJson.tree(toLine(e, interfaceName));
    }

    public static String toLine(FlowEvent e, String interfaceName) {
        StringWriter w = new StringWriter(256);
        try (JsonGenerator g = FlowJson.FACTORY.createGenerator(w)) {
            g.writeStartObject();
            g.writeObjectFieldStart("event");
            g.writeStringField("type", ConfigNode.name(e.kind()));
            g.writeStringField("time", Instant.ofEpochSecond(0, e.epochNanos()).toString());
            FlowKey k = e.key();
            FlowJson.writeKey(g, k);
            if (interfaceName != null) g.writeStringField("interfaceName", interfaceName);
            g.writeNumberField("flowDirection", k.direction().code());
            g.writeNumberField("packetLength", e.packetLength());
            if (k.protocol() == 6) g.writeStringField("tcpFlags", TcpFlags.toString(e.tcpFlags()));
            if (e.captureLength() > 0) g.writeStringField("data", HexFormat.of().formatHex(e.data()));
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException x) {
            throw new UncheckedIOException("writing an event", x); // a StringWriter does not fail
        }
        return w.toString();
    }

    /** The event as one line of text: time, type, flow, length, flags and sample bytes. */
    public static String toText(FlowEvent e, String interfaceName) {
        return "EVENT " + Instant.ofEpochSecond(0, e.epochNanos()) + " " + ConfigNode.name(e.kind()) + " "
                + e.key() + (interfaceName != null ? " (" + interfaceName + ")" : "") + " len " + e.packetLength()
                + (e.key().protocol() == 6 && e.tcpFlags() != 0 ? " [" + TcpFlags.toString(e.tcpFlags()) + "]" : "")
                + (e.captureLength() > 0 ? " data " + HexFormat.of().formatHex(e.data()) : "");
    }
}
