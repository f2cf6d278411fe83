package io.packetlens.monitor.log;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.packetlens.flow.FlowEvent;
import io.packetlens.flow.FlowKey;
import io.packetlens.flow.TcpFlags;
import io.packetlens.monitor.config.ConfigReader;

import java.time.Instant;
import java.util.HexFormat;

/**
 * One flow program event ({@link FlowEvent}) as a JSON line {@code {"event": {...}}}, with the flow's fields named as
 * in flow records ({@link FlowJson}: IPFIX information elements), plus {@code type} (new-flow, tcp, sample, overflow),
 * {@code time} (ISO-8601), {@code packetLength}, {@code tcpFlags} (names) and for samples {@code data} (hex).
 */
public final class EventJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EventJson() {}

    public static ObjectNode toJson(FlowEvent e, String interfaceName) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode o = root.putObject("event");
        o.put("type", ConfigReader.eventName(e.kind()));
        o.put("time", Instant.ofEpochSecond(0, e.epochNanos()).toString());
        FlowKey k = e.key();
        FlowJson.putKey(o, k);
        if (interfaceName != null) o.put("interfaceName", interfaceName);
        o.put("flowDirection", k.direction().code());
        o.put("packetLength", e.packetLength());
        if (k.protocol() == 6) o.put("tcpFlags", TcpFlags.toString(e.tcpFlags()));
        if (e.captureLength() > 0) o.put("data", HexFormat.of().formatHex(e.data()));
        return root;
    }

    public static String toLine(FlowEvent e, String interfaceName) {
        return toJson(e, interfaceName).toString();
    }

    /** The event as one line of text: time, type, flow, length, flags and sample bytes. */
    public static String toText(FlowEvent e, String interfaceName) {
        return "EVENT " + Instant.ofEpochSecond(0, e.epochNanos()) + " " + ConfigReader.eventName(e.kind()) + " "
                + e.key() + (interfaceName != null ? " (" + interfaceName + ")" : "") + " len " + e.packetLength()
                + (e.key().protocol() == 6 && e.tcpFlags() != 0 ? " [" + TcpFlags.toString(e.tcpFlags()) + "]" : "")
                + (e.captureLength() > 0 ? " data " + HexFormat.of().formatHex(e.data()) : "");
    }
}
