package io.packetlens.ops.doctor;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** {@code packetlens doctor} output: a table with a fix under each failed check, or {@code --json}. */
public final class DoctorReport {
    private DoctorReport() {}

    public static String text(List<Check> checks) {
        StringBuilder b = new StringBuilder();
        for (Check c : checks) {
            b.append(String.format("  %-9s %-24s %s%n", c.status().name().toLowerCase(), c.name(), c.detail()));
            if (c.fix() != null) b.append(String.format("  %-9s %-24s fix: %s%n", "", "", c.fix()));
        }
        b.append(summary(checks)).append('\n');
        return b.toString();
    }

    public static String summary(List<Check> checks) {
        Map<Check.Status, Integer> n = new EnumMap<>(Check.Status.class);
        for (Check c : checks) n.merge(c.status(), 1, Integer::sum);
        return String.format("%d ok, %d fall back, %d warnings, %d missing", n.getOrDefault(Check.Status.OK, 0),
                n.getOrDefault(Check.Status.FALLBACK, 0), n.getOrDefault(Check.Status.WARN, 0), n.getOrDefault(Check.Status.MISSING, 0));
    }

    public static String json(List<Check> checks) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
            g.writeStartObject();
            g.writeArrayFieldStart("checks");
            for (Check c : checks) {
                g.writeStartObject();
                g.writeStringField("check", c.name());
                g.writeStringField("status", c.status().name().toLowerCase());
                if (c.available() != null) g.writeBooleanField("available", c.available());
                g.writeStringField("detail", c.detail());
                if (c.fix() != null) g.writeStringField("fix", c.fix());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeStringField("summary", summary(checks));
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    /** Whether any check is MISSING (the command's exit status). */
    public static boolean anyMissing(List<Check> checks) {
        return checks.stream().anyMatch(c -> c.status() == Check.Status.MISSING);
    }
}
