package io.packetlens.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** bpftool, the kernel tree's own view of BPF objects, for cross-checks ({@code -j} output parsed with Jackson). */
public final class Bpftool {
    public static final ObjectMapper JSON = new ObjectMapper();

    private Bpftool() {}

    public static String path() {
        return Stream.of("/usr/sbin/bpftool", "/sbin/bpftool", "/usr/bin/bpftool", "/usr/local/sbin/bpftool")
                .filter(p -> Files.isExecutable(Path.of(p))).findFirst()
                .orElseThrow(() -> new IllegalStateException("bpftool not installed (apt-get install bpftool)"));
    }

    public static JsonNode json(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(path(), "-j"));
        cmd.addAll(List.of(args));
        return JSON.readTree(run(cmd));
    }

    /** {@code bpftool -j prog|map|link show} keyed by id. */
    public static Map<Integer, JsonNode> show(String kind) throws IOException, InterruptedException {
        Map<Integer, JsonNode> out = new HashMap<>();
        for (JsonNode n : json(kind, "show")) out.put(n.get("id").asInt(), n);
        return out;
    }

    public static String run(List<String> cmd) throws IOException, InterruptedException {
        Path err = Files.createTempFile("bpftool", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectError(err.toFile()).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " did not finish");
            }
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + Files.readString(err));
            }
            return new String(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
