package io.packetlens.bench;

import io.packetlens.export.ExporterStats;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders the export benchmark's runs as the Markdown that docs/BENCHMARKS.md holds: every run, then the medians and the target. */
final class ExportReport {
    /** The target: every record delivered within this long of the poll that finished the flows. */
    static final long TARGET_NANOS = 1_000_000_000L;

    private ExportReport() {}

    static String render(Machine m, String software, ExportSettings s, List<ExportResult> runs) {
        StringBuilder b = new StringBuilder();
        b.append("- Machine: ").append(m.cpuDescription()).append(", ").append(m.memory()).append(" RAM; ")
                .append(m.os()).append(", kernel ").append(m.kernel()).append('\n');
        b.append("- Software: ").append(software).append('\n');
        b.append(String.format(Locale.ROOT, "- Traffic: %,d UDP flows of one %d-byte frame each, AF_XDP from lab host a to b; agent at XDP on b's veth0, "
                        + "table %,d, idle timeout %s, poll interval %s; exporters at their defaults; Kafka topic of %d partitions%n%n",
                s.flows(), s.frameSize(), s.tableSize(), human(s.idleTimeout()), human(s.pollInterval()), s.partitions()));
        b.append("| round | agent's exporters | exporter | traffic | finishing poll: wall (poll thread CPU) | records in it / after it "
                + "| delivered after the poll's end | records/s from the poll's start | agent CPU from the poll's start | dropped / failed "
                + "| collector: records (distinct flows), packets | collector CPU | collector's own account |\n");
        b.append("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (ExportResult r : runs) {
            for (ExportResult.Outcome o : r.outcomes()) {
                ExporterStats st = o.stats();
                b.append(String.format(Locale.ROOT, "| %d | %s | %s | %s in %s%s | %s (%s) | %,d / %,d%s | %s | %s | %s | %,d / %,d | %,d (%,d), %,d%s | %s | %s |%n",
                        r.round(), r.mode().label(), o.name(), count(r.framesSent()), ms(r.trafficNanos()), r.trafficInOneInterval() ? "" : " (spans a poll)",
                        ms(r.pollWallNanos()), ms(r.pollThreadCpuNanos()), r.recordsInPoll(), r.recordsLater(), r.onePoll(s.flows()) ? "" : " **not one poll**",
                        o.delivered() ? (o.deliveredNanos() <= 0 ? "before the poll returned" : ms(o.deliveredNanos())) : "**never**", rate(s.flows(), r, o),
                        o.delivered() ? seconds(o.cpuNanos()) : "–", st.dropped(), st.failed(),
                        o.seen().records(), o.seen().flows(), o.seen().packets(), o.seen().other() == 0 ? "" : " (+" + o.seen().other() + " other)",
                        o.peerCpuNanos() < 0 ? "–" : seconds(o.peerCpuNanos()), o.collectorNote()));
            }
        }
        b.append('\n').append(summary(s, runs));
        return b.toString();
    }

    /** Per mode and exporter: medians over the rounds, and whether the target held in every round. */
    static String summary(ExportSettings s, List<ExportResult> runs) {
        Map<String, List<Object[]>> groups = new LinkedHashMap<>();
        for (ExportResult r : runs) {
            for (ExportResult.Outcome o : r.outcomes()) {
                groups.computeIfAbsent(r.mode().label() + " | " + o.name(), k -> new ArrayList<>()).add(new Object[] {r, o});
            }
        }
        StringBuilder b = new StringBuilder();
        b.append("| agent's exporters | exporter | rounds | delivered after the poll's end, median (min – max) | after the poll's start, median "
                + "| records/s from the poll's start, median | agent CPU, median | finishing poll, median | all in one poll | dropped + failed | collector complete "
                + "| target (≤ 1 s after the poll, nothing lost) |\n");
        b.append("|---|---|---:|---:|---:|---:|---:|---:|---|---:|---|---|\n");
        for (var e : groups.entrySet()) {
            List<Object[]> g = e.getValue();
            List<Double> deliver = new ArrayList<>(), fromStart = new ArrayList<>(), cpu = new ArrayList<>(), poll = new ArrayList<>(), rates = new ArrayList<>();
            boolean onePoll = true, complete = true, allDelivered = true, inTime = true;
            long lost = 0;
            for (Object[] x : g) {
                ExportResult r = (ExportResult) x[0];
                ExportResult.Outcome o = (ExportResult.Outcome) x[1];
                onePoll &= r.onePoll(s.flows());
                poll.add((double) r.pollWallNanos());
                lost += o.stats().dropped() + o.stats().failed();
                complete &= o.seen().records() == s.flows() && o.seen().flows() == s.flows() && o.seen().packets() == s.flows();
                if (o.delivered()) {
                    deliver.add((double) Math.max(0, o.deliveredNanos())); // 0: done before the poll returned
                    fromStart.add((double) (o.deliveredNanos() + r.pollWallNanos()));
                    cpu.add(o.cpuNanos() / 1e9);
                    // records come out during the poll, so the rate runs from the poll's start
                    rates.add(s.flows() * 1e9 / Math.max(1, o.deliveredNanos() + r.pollWallNanos()));
                    inTime &= o.deliveredNanos() <= TARGET_NANOS;
                } else {
                    allDelivered = false;
                }
            }
            boolean met = allDelivered && inTime && lost == 0 && complete && onePoll;
            String delivered = deliver.isEmpty() ? "never" : ms(med(deliver)) + " (" + ms(min(deliver)) + " – " + ms(max(deliver)) + ")"
                    + (allDelivered ? "" : ", not in every round");
            b.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s | %,d | %s | %s |%n", e.getKey(), g.size(), delivered,
                    fromStart.isEmpty() ? "–" : ms(med(fromStart)),
                    rates.isEmpty() ? "–" : MarkdownReport.rate(med(rates)), cpu.isEmpty() ? "–" : String.format(Locale.ROOT, "%.2f s", med(cpu)),
                    ms(med(poll)), onePoll ? "yes" : "**no**", lost, complete ? "yes" : "**no**", met ? "met" : "**missed**"));
        }
        return b.toString();
    }

    /** Records per second from the finishing poll's start (records leave during the poll) to the last delivery. */
    private static String rate(long flows, ExportResult r, ExportResult.Outcome o) {
        if (!o.delivered()) return "–";
        return MarkdownReport.rate(flows * 1e9 / Math.max(1, o.deliveredNanos() + r.pollWallNanos()));
    }

    private static String ms(double nanos) {
        return String.format(Locale.ROOT, "%.0f ms", nanos / 1e6);
    }

    private static String ms(long nanos) {
        return ms((double) nanos);
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }

    private static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String human(java.time.Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static double med(List<Double> v) {
        return Samples.of(v.stream().mapToDouble(Double::doubleValue).toArray()).median();
    }

    private static double min(List<Double> v) {
        return Samples.of(v.stream().mapToDouble(Double::doubleValue).toArray()).min();
    }

    private static double max(List<Double> v) {
        return Samples.of(v.stream().mapToDouble(Double::doubleValue).toArray()).max();
    }
}
