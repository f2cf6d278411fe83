package io.packetlens.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What libbpf makes of a BPF object, as the independent check of packetlens's loader: {@code bpftool prog loadall}
 * loads it, and each program's tag (the kernel's hash of the instructions it was given, map fds blanked) is read back
 * with {@code bpftool prog show pinned}. Everything bpftool pinned is removed again.
 */
public final class LibbpfTags {
    private static final Pattern NAME = Pattern.compile("\"name\":\"([^\"]+)\""), TAG = Pattern.compile("\"tag\":\"([0-9a-f]+)\"");
    /** BPF_OBJ_NAME_LEN - 1: the kernel keeps this much of a program name, and packetlens's info reports it so. */
    private static final int KERNEL_NAME = 15;

    private LibbpfTags() {}

    /**
     * Program name (as the kernel keeps it) to tag, or empty if libbpf cannot load the object here.
     * {@code pinnedByName} are the object's maps with pinning = BY_NAME, which libbpf pins under /sys/fs/bpf itself:
     * those this call creates are removed too.
     */
    public static Optional<Map<String, String>> of(Path object, Collection<String> pinnedByName) throws Exception {
        Path pins = Path.of("/sys/fs/bpf", "pl-libbpf-" + ProcessHandle.current().pid() + "-"
                + object.getFileName().toString().replace(".bpf.o", ""));
        List<Path> byName = pinnedByName.stream().map(n -> Path.of("/sys/fs/bpf", n)).filter(p -> !Files.exists(p)).toList();
        try {
            if (run("bpftool", "prog", "loadall", object.toString(), pins.toString()) == null) return Optional.empty();
            List<Path> pinned = new ArrayList<>();
            if (Files.exists(pins)) { // bpftool makes no directory for an object of maps alone
                try (Stream<Path> s = Files.list(pins)) {
                    pinned.addAll(s.toList());
                }
            }
            Map<String, String> tags = new TreeMap<>();
            for (Path p : pinned) {
                String j = run("bpftool", "-j", "prog", "show", "pinned", p.toString());
                Matcher n = NAME.matcher(j == null ? "" : j), t = TAG.matcher(j == null ? "" : j);
                if (!n.find() || !t.find()) throw new IllegalStateException("bpftool's answer for " + p + ": " + j);
                String name = n.group(1);
                tags.put(name.length() > KERNEL_NAME ? name.substring(0, KERNEL_NAME) : name, t.group(1));
            }
            return Optional.of(tags);
        } finally {
            removeTree(pins);
            for (Path p : byName) Files.deleteIfExists(p);
        }
    }

    /** Removes a bpffs directory and what is pinned in it. */
    public static void removeTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** A command's output, or null if it exits non-zero. */
    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", cmd) + " did not finish");
        }
        return p.exitValue() == 0 ? out : null;
    }
}
