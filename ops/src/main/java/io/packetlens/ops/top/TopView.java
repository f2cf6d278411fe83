package io.packetlens.ops.top;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/** {@code packetlens top} output: a table for people, or one JSON line per interval. */
public final class TopView {
    private static final JsonFactory JSON = new JsonFactory();

    private TopView() {}

    /** The table: busiest first, at most {@code limit} rows (0 = all). */
    public static String table(TopSampler.Sample s, int limit, String header) {
        StringBuilder b = new StringBuilder();
        b.append(header).append('\n');
        b.append(String.format("%7s  %-14s %-16s %12s %10s %7s %14s%n", "ID", "TYPE", "NAME", "RUNS/S", "NS/RUN", "CPU%", "TOTAL RUNS"));
        int n = 0;
        for (TopSampler.Row r : s.rows()) {
            if (limit > 0 && n++ >= limit) break;
            b.append(String.format("%7d  %-14s %-16s %12.0f %10s %7.2f %14d%n", r.id(), cut(r.type(), 14), cut(r.name(), 16), r.runsPerSecond(),
                    r.runs() == 0 ? "-" : String.format("%.1f", r.nsPerRun()), r.cpuPercent(), r.totalRuns()));
        }
        return b.toString();
    }

    private static String cut(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n);
    }

    /** One interval as one JSON object (no newline). */
    public static String json(TopSampler.Sample s, boolean statsOn) {
        StringWriter w = new StringWriter(256 + 200 * s.rows().size());
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            g.writeStringField("time", s.at().toString());
            g.writeNumberField("interval_ns", s.intervalNs());
            g.writeBooleanField("stats_enabled", statsOn);
            g.writeArrayFieldStart("programs");
            for (TopSampler.Row r : s.rows()) {
                g.writeStartObject();
                g.writeNumberField("id", r.id());
                g.writeStringField("type", r.type());
                g.writeStringField("name", r.name());
                g.writeNumberField("runs", r.runs());
                g.writeNumberField("run_time_ns", r.runTimeNs());
                g.writeNumberField("runs_per_second", r.runsPerSecond());
                g.writeNumberField("ns_per_run", r.nsPerRun());
                g.writeNumberField("cpu_percent", r.cpuPercent());
                g.writeNumberField("cpu_percent_total", r.cpuPercentTotal());
                g.writeNumberField("run_cnt", r.totalRuns());
                g.writeNumberField("run_time_ns_total", r.totalRunTimeNs());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }
}
