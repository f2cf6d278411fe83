package io.packetlens.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.packetlens.flow.Count;
import io.packetlens.flow.FlowAggregator;
import io.packetlens.monitor.FlowMonitor;
import io.packetlens.monitor.MonitorSnapshot;
import io.packetlens.monitor.alert.Alert;
import io.packetlens.monitor.config.MonitorConfig;
import io.packetlens.export.ExportContext;
import io.packetlens.export.ExporterRunner;
import io.packetlens.export.ExporterSettings;
import io.packetlens.export.json.EventJson;
import io.packetlens.export.json.FileExporter;
import io.packetlens.export.json.FlowJson;
import io.packetlens.monitor.metrics.MetricsServer;
import io.packetlens.monitor.view.TopView;

import java.io.PrintStream;
import java.util.function.BooleanSupplier;

/**
 * Runs an attached {@link FlowMonitor} until told to stop: polls it, draws the live view (or
 * writes flow records as JSON lines), serves /metrics, writes the flow log, reports alerts,
 * and at the end detaches, drains the table and prints the totals and every loss counter.
 */
final class MonitorRunner {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CLEAR = "\033[H\033[2J";

    private final FlowMonitor monitor;
    private final boolean json;
    private final PrintStream out;
    private final boolean clearScreen;
    private final boolean printEvents;

    MonitorRunner(FlowMonitor monitor, boolean json, PrintStream out) {
        this(monitor, json, out, false);
    }

    /** With {@code printEvents}, the monitor's events are printed too (JSON lines, or text lines between views). */
    MonitorRunner(FlowMonitor monitor, boolean json, PrintStream out, boolean printEvents) {
        this.monitor = monitor;
        this.json = json;
        this.out = out;
        this.printEvents = printEvents;
        // event lines would be wiped by the next redraw: with them, views follow each other instead
        this.clearScreen = !json && !printEvents && System.console() != null && System.getenv("PACKETLENS_NO_CLEAR") == null;
    }

    /** Runs until {@code done} says so; returns the final snapshot (after the drain). */
    MonitorSnapshot run(Shutdown shutdown, BooleanSupplier done) throws InterruptedException {
        MonitorConfig c = monitor.config();
        try (MetricsServer metrics = c.metrics() == null ? null : new MetricsServer(c.metrics().address(), monitor::snapshot);
             ExporterRunner log = c.flowLog() == null ? null : flowLog(c)) {
            if (metrics != null && !json) out.println("metrics: http://" + c.metrics().address().getHostString() + ":" + metrics.port() + "/metrics");
            if (log != null) monitor.onFinishedFlow(log::offer);
            if (json) monitor.onFinishedFlow(f -> out.println(FlowJson.toLine(f, monitor.interfaceName(f.key().ifindex()))));
            monitor.onAlert(a -> report(a, metrics));
            if (printEvents) {
                // the event reader's thread prints; PrintStream serialises whole lines
                monitor.onEvent(e -> {
                    out.println(json ? EventJson.toLine(e, monitor.interfaceName(e.key().ifindex()))
                            : EventJson.toText(e, monitor.interfaceName(e.key().ifindex())));
                    out.flush();
                });
            }
            long interval = c.pollInterval().toMillis();
            while (!shutdown.requested() && !done.getAsBoolean()) {
                shutdown.sleep(interval);
                if (shutdown.requested()) break;
                MonitorSnapshot s = monitor.poll();
                if (!json) out.print((clearScreen ? CLEAR : "\n") + TopView.render(s, c.view(), monitor::interfaceName));
                out.flush(); // the flow lines and alerts of this poll (out may buffer them)
            }
            MonitorSnapshot fin = monitor.stop();
            summary(fin);
            return fin;
        }
    }

    private ExporterRunner flowLog(MonitorConfig c) {
        ExportContext ctx = new ExportContext(monitor::interfaceName, 0);
        return ExporterRunner.start("file", "file", ExporterSettings.defaults(),
                new FileExporter(c.flowLog().path(), c.flowLog().maxBytes(), c.flowLog().keep(), false, ctx), ctx);
    }

    private void report(Alert a, MetricsServer metrics) {
        if (metrics != null) metrics.countAlert(a);
        if (json) {
            ObjectNode o = JSON.createObjectNode();
            ObjectNode alert = o.putObject("alert");
            alert.put("time", a.time().toString()).put("rule", a.rule()).put("subject", a.subject())
                    .put("value", a.value()).put("threshold", a.threshold()).put("message", a.message());
            out.println(o);
        } else {
            out.println("ALERT " + a.rule() + " " + a.subject() + ": " + a.message());
        }
        System.getLogger("packetlens.alerts").log(System.Logger.Level.WARNING, a.toString());
    }

    /** The exit summary: what was accounted and every loss counter; as one JSON object with --json. */
    private void summary(MonitorSnapshot s) {
        FlowAggregator.Totals t = s.totals();
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
            sum.put("alerts", s.alerts());
            out.println(o);
        } else {
            out.printf("%ntotals: %d packets, %d bytes in %d flows (%d flow records); %d packets/%d bytes not IP flows%n",
                    all.packets(), all.bytes(), t.flows(), t.records(), other.packets(), other.bytes());
            out.printf("losses: flow table full %d packets (%d bytes, counted), other table full %d packets, events lost %d; alerts %d%n",
                    t.losses().tableFull().packets(), t.losses().tableFull().bytes(), t.losses().otherFull().packets(),
                    t.losses().eventsLost().packets(), s.alerts());
        }
        out.flush();
    }
}
