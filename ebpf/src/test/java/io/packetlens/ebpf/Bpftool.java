package io.packetlens.ebpf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Runs bpftool, the kernel tree's independent view of BPF objects, for cross-checks; {@code -j} output parsed with Jackson. */
final class Bpftool {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Bpftool() {}

    static String path() {
        return Stream.of("/usr/sbin/bpftool", "/sbin/bpftool", "/usr/bin/bpftool", "/usr/local/sbin/bpftool")
                .filter(p -> Files.isExecutable(Path.of(p))).findFirst()
                .orElseThrow(() -> new IllegalStateException("bpftool not installed (apt-get install bpftool)"));
    }

    /** Runs {@code bpftool -j args...} and parses its output. */
    static JsonNode json(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(path(), "-j"));
        cmd.addAll(List.of(args));
        return JSON.readTree(run(cmd));
    }

    /** Runs {@code bpftool args...}; fails with bpftool's stderr if it exits non-zero. */
    static String run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(path()));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Path err = Files.createTempFile("bpftool", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectError(err.toFile()).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " did not finish");
            }
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": "
                        + Files.readString(err) + new String(out, StandardCharsets.UTF_8));
            }
            return new String(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** bpftool's byte list ({@code ["0x01","0x00"]}) as bytes. */
    static byte[] bytes(JsonNode hexList) {
        byte[] b = new byte[hexList.size()];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(hexList.get(i).asText().substring(2), 16);
        return b;
    }

    /** Bytes as bpftool command-line arguments ({@code hex 01 00 ...}). */
    static List<String> hexArgs(byte[] b) {
        List<String> out = new ArrayList<>(List.of("hex"));
        for (byte x : b) out.add(String.format("%02x", x & 0xff));
        return out;
    }
}
