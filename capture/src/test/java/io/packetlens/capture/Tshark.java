package io.packetlens.capture;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Test helper: reads a capture file with tshark (installed by scripts/setup.sh) and returns chosen fields per frame. */
final class Tshark {
    private Tshark() {}

    static List<String[]> fields(Path file, String... fields) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tshark", "-n", "-r", file.toString(), "-T", "fields", "-E", "separator=,", "-E", "occurrence=f"));
        for (String f : fields) {
            cmd.add("-e");
            cmd.add(f);
        }
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new IOException("tshark not found: run ./scripts/setup.sh (it installs tshark)", e);
        }
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("tshark failed on " + file + " (exit " + p.exitValue() + ")");
        List<String[]> rows = new ArrayList<>();
        for (String line : out.split("\n")) if (!line.isBlank()) rows.add(line.split(",", -1));
        return rows;
    }
}
