package io.packetlens.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs {@code bpftool map dump id N} (plain text or {@code -j} JSON) as a child process.
 * Timed dumps write to /dev/null, bpftool's cheapest sink; a counted dump pipes the output
 * here and counts the entries in it, to show bpftool really dumped the whole map.
 */
final class Bpftool {
    /** Output format of a dump. */
    enum Format {
        TEXT("key:"), JSON("\"key\":");

        /** Appears once per entry in the output: plain text starts each entry with "key:", JSON has one "key" member per element. */
        final byte[] perEntry;

        Format(String perEntry) {
            this.perEntry = perEntry.getBytes(StandardCharsets.US_ASCII);
        }
    }

    private final String executable;

    Bpftool(String executable) {
        this.executable = executable;
    }

    String executable() { return executable; }

    List<String> dumpCommand(Format format, int mapId) {
        List<String> cmd = new ArrayList<>(List.of(executable));
        if (format == Format.JSON) cmd.add("-j");
        cmd.addAll(List.of("map", "dump", "id", Integer.toString(mapId)));
        return cmd;
    }

    /** Dumps to /dev/null; the caller times it. */
    void dumpDiscarding(Format format, int mapId) {
        ProcessBuilder pb = new ProcessBuilder(dumpCommand(format, mapId)).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process p = start(pb);
        finish(p, pb.command());
    }

    /** Dumps into a pipe and counts the entries in the output. */
    long dumpCounting(Format format, int mapId) {
        ProcessBuilder pb = new ProcessBuilder(dumpCommand(format, mapId));
        Process p = start(pb);
        long n;
        try (InputStream in = p.getInputStream()) {
            n = countOccurrences(in, format.perEntry);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        finish(p, pb.command());
        return n;
    }

    /** First line of {@code bpftool version}, or why there is none. */
    String version() {
        try {
            Process p = new ProcessBuilder(executable, "version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return out.lines().findFirst().orElse("(no output)").trim();
        } catch (IOException e) {
            return "(not runnable: " + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)";
        }
    }

    private Process start(ProcessBuilder pb) {
        try {
            return pb.redirectError(ProcessBuilder.Redirect.PIPE).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", pb.command())
                    + ": " + e.getMessage() + " (is bpftool installed? ./scripts/setup.sh installs it)", e);
        }
    }

    private static void finish(Process p, List<String> command) {
        try {
            // bpftool writes nothing to stderr unless it fails, so reading it first cannot stall the dump.
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            int rc = p.waitFor();
            if (rc != 0) throw new IllegalStateException(String.join(" ", command) + " exited " + rc + ": " + err);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + String.join(" ", command), e);
        }
    }

    /** Counts non-overlapping occurrences of {@code pattern} in a stream (KMP, one pass, constant memory). */
    static long countOccurrences(InputStream in, byte[] pattern) throws IOException {
        int[] fail = new int[pattern.length];
        for (int i = 1, k = 0; i < pattern.length; i++) {
            while (k > 0 && pattern[i] != pattern[k]) k = fail[k - 1];
            if (pattern[i] == pattern[k]) k++;
            fail[i] = k;
        }
        byte[] buf = new byte[1 << 16];
        long count = 0;
        int matched = 0, n;
        while ((n = in.read(buf)) > 0) {
            for (int i = 0; i < n; i++) {
                byte b = buf[i];
                while (matched > 0 && b != pattern[matched]) matched = fail[matched - 1];
                if (b == pattern[matched]) matched++;
                if (matched == pattern.length) {
                    count++;
                    matched = 0;
                }
            }
        }
        return count;
    }
}
