package io.packetlens.bench;

import java.util.List;
import java.util.Locale;

/** Renders the results as the Markdown that docs/BENCHMARKS.md holds: machine, settings, one table row per method. */
final class MarkdownReport {
    private MarkdownReport() {}

    static String render(Machine m, Settings s, List<Result> results, Result bpftoolText, Result bpftoolJson) {
        StringBuilder b = new StringBuilder();
        b.append("- Machine: ").append(m.cpuDescription()).append(", ").append(m.memory()).append(" RAM\n");
        b.append("- OS: ").append(m.os()).append(", kernel ").append(m.kernel()).append('\n');
        b.append("- Java: ").append(m.java()).append("; ").append(m.bpftool()).append('\n');
        b.append("- Map: BPF_MAP_TYPE_HASH, ").append(String.format(Locale.ROOT, "%,d", s.entries())).append(" entries, key ")
                .append(s.keySize()).append(" B, value ").append(s.valueSize()).append(" B; ")
                .append(s.warmup()).append(" warm-up + ").append(s.rounds()).append(" timed rounds per method, interleaved\n\n");
        b.append("| Method | Entries/s (median) | Min – max | Time per dump (median) | CPU user + sys per dump (median) | vs `bpftool map dump` | vs `bpftool -j map dump` |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|\n");
        double text = bpftoolText == null ? Double.NaN : bpftoolText.entriesPerSecond().median();
        double json = bpftoolJson == null ? Double.NaN : bpftoolJson.entriesPerSecond().median();
        for (Result r : results) {
            Samples eps = r.entriesPerSecond();
            b.append("| ").append(r.method().name())
                    .append(" | ").append(rate(eps.median()))
                    .append(" | ").append(rate(eps.min())).append(" – ").append(rate(eps.max()))
                    .append(" | ").append(millis(r.wallMillis().median()))
                    .append(" | ").append(millis(r.userMillis().median())).append(" + ").append(millis(r.sysMillis().median()))
                    .append(" | ").append(ratio(eps.median(), text))
                    .append(" | ").append(ratio(eps.median(), json))
                    .append(" |\n");
        }
        return b.toString();
    }

    /** Entries per second with three significant digits and an SI suffix. */
    static String rate(double perSecond) {
        if (perSecond >= 1e6) return sig3(perSecond / 1e6) + " M";
        if (perSecond >= 1e3) return sig3(perSecond / 1e3) + " k";
        return sig3(perSecond);
    }

    static String millis(double ms) {
        return ms >= 1000 ? String.format(Locale.ROOT, "%.2f s", ms / 1000) : sig3(ms) + " ms";
    }

    static String ratio(double value, double baseline) {
        if (Double.isNaN(baseline) || baseline <= 0) return "–";
        double r = value / baseline;
        return (r >= 10 ? String.format(Locale.ROOT, "%.0f", r) : String.format(Locale.ROOT, "%.2f", r)) + "×";
    }

    private static String sig3(double v) {
        if (v >= 100) return String.format(Locale.ROOT, "%.0f", v);
        if (v >= 10) return String.format(Locale.ROOT, "%.1f", v);
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
