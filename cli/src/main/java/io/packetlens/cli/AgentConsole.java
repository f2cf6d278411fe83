package io.packetlens.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.packetlens.agent.Agent;
import io.packetlens.agent.AgentSnapshot;
import io.packetlens.export.ExporterStats;
import io.packetlens.export.json.EventJson;
import io.packetlens.flow.Count;
import io.packetlens.flow.FlowAggregator;
import io.packetlens.flow.FlowEvent;
import io.packetlens.monitor.alert.Alert;
import io.packetlens.monitor.config.MonitorConfig;
import io.packetlens.monitor.view.TopView;

import java.io.PrintStream;
import java.util.function.IntFunction;

/**
 * What a person at a terminal sees of a running agent: the live top-flows view after each poll (or nothing but JSON
 * lines with {@code --json}), alerts, events when asked for, and the exit summary with every loss counter. Flow records
 * themselves reach standard output through an exporter, never from here.
 */
final class AgentConsole implements Agent.Listener {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CLEAR = "\033[H\033[2J";

    private final PrintStream out;
    private final boolean json;
    private final boolean liveView;
    private final boolean textEvents;
    private final boolean clearScreen;
    private final MonitorConfig.View view;
    private volatile IntFunction<String> names = i -> "if" + i;

    /**
     * @param liveView   draw the top view after each poll
     * @param textEvents print events as text lines (with --json they go through the stdout exporter instead)
     */
    AgentConsole(PrintStream out, boolean json, boolean liveView, boolean textEvents, MonitorConfig.View view) {
        this.out = out;
        this.json = json;
        this.liveView = liveView && !json;
        this.textEvents = textEvents && !json;
        this.view = view;
        // event lines would be wiped by the next redraw: with them, views follow each other instead
        this.clearScreen = this.liveView && !this.textEvents && System.console() != null && System.getenv("PACKETLENS_NO_CLEAR") == null;
    }

    void attachedTo(Agent agent) {
        names = agent::interfaceName;
    }

    @Override
    public void polled(AgentSnapshot s) {
        if (liveView && s.flows() != null) out.print((clearScreen ? CLEAR : "\n") + TopView.render(s.flows(), view, names));
        out.flush();
    }

    @Override
    public void alert(Alert a) {
        if (json) {
            ObjectNode o = JSON.createObjectNode();
            ObjectNode alert = o.putObject("alert");
            alert.put("time", a.time().toString()).put("rule", a.rule()).put("subject", a.subject())
                    .put("value", a.value()).put("threshold", a.threshold()).put("message", a.message());
            out.println(o);
        } else {
            out.println("ALERT " + a.rule() + " " + a.subject() + ": " + a.message());
        }
    }

    @Override
    public void event(FlowEvent e) {
        if (!textEvents) return;
        out.println(EventJson.toText(e, names.apply(e.key().ifindex())));
        out.flush();
    }

    /** The exit summary: what was accounted, every loss counter, and what each exporter did; one JSON object with --json. */
    void summary(AgentSnapshot s) {
        if (s.guard() != null) GuardReport.print(out, s.guard(), json, s.flows() == null);
        if (s.flows() == null) {
            out.flush();
            return;
        }
        FlowAggregator.Totals t = s.flows().totals();
        Count flows = t.flowTraffic(), other = t.other(), all = t.allTraffic();
        if (json) {
            ObjectNode o = JSON.createObjectNode();
            ObjectNode sum = o.putObject("summary");
            sum.put("packets", all.packets()).put("bytes", all.bytes()).put("flows", t.flows()).put("flowRecords", t.records());
            sum.put("flowPackets", flows.packets()).put("flowBytes", flows.bytes());
            sum.put("otherPackets", other.packets()).put("otherBytes", other.bytes());
            ObjectNode losses = sum.putObject("losses");
            losses.put("tableFullPackets", t.losses().tableFull().packets()).put("tableFullBytes", t.losses().tableFull().bytes());
            losses.put("otherTableFullPackets", t.losses().otherFull().packets());
            losses.put("eventsLost", t.losses().eventsLost().packets());
            losses.put("ringDrops", t.losses().ringDrops());
            sum.put("alerts", s.flows().alerts());
            ObjectNode ex = sum.putObject("exporters");
            for (ExporterStats e : s.exporters()) {
                ex.putObject(e.name()).put("type", e.type()).put("sent", e.sent()).put("dropped", e.dropped())
                        .put("failed", e.failed()).put("sendErrors", e.sendErrors());
            }
            sum.put("pinned", s.pinned());
            sum.put("fallback", s.flows().inFallback());
            if (s.flows().inFallback()) sum.put("fallbackReason", s.flows().fallback());
            out.println(o);
        } else {
            out.printf("%ntotals: %d packets, %d bytes in %d flows (%d flow records); %d packets/%d bytes not IP flows%n",
                    all.packets(), all.bytes(), t.flows(), t.records(), other.packets(), other.bytes());
            out.printf("losses: flow table full %d packets (%d bytes, counted), other table full %d packets, events lost %d; alerts %d%n",
                    t.losses().tableFull().packets(), t.losses().tableFull().bytes(), t.losses().otherFull().packets(),
                    t.losses().eventsLost().packets(), s.flows().alerts());
            if (s.flows().inFallback()) {
                out.printf("fallback: counted from AF_PACKET in user space (%s); ring drops %d%n", s.flows().fallback(), t.losses().ringDrops());
            }
            for (ExporterStats e : s.exporters()) {
                if (e.type().equals("stdout")) continue;
                out.printf("exporter %s (%s): %d sent, %d dropped (queue full), %d failed, %d send errors%s%n", e.name(), e.type(),
                        e.sent(), e.dropped(), e.failed(), e.sendErrors(), e.lastError() != null ? "; last error: " + e.lastError() : "");
            }
            if (s.pinned()) out.println("pinned: the flow program stays attached and keeps counting for the next agent (--unpin ends it)");
        }
        out.flush();
    }
}
