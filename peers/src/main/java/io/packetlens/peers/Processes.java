package io.packetlens.peers;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** Running the third-party programs that tests and benchmarks check against: with time limits, logs, and cleanup. */
public final class Processes {
    private static final Path TMP = Path.of("/tmp");
    /** USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux architecture packetlens runs on. */
    private static final long CLOCK_TICKS = 100;

    private Processes() {}

    /** Runs a command to its end and returns its stdout; throws with its stderr when it fails or takes too long. */
    public static String run(Duration timeout, Map<String, String> env, String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("pl-peers-out", ".txt"), err = Files.createTempFile("pl-peers-err", ".txt");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IOException(String.join(" ", command) + " did not finish within " + timeout);
            }
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + Files.readString(err));
            }
            return Files.readString(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Starts a background command with stdout and stderr going to {@code log}. */
    public static Process start(Path log, String... command) throws IOException {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    }

    /** Ends a process we started (SIGTERM, then SIGKILL) with its children, and waits for it. */
    public static void stop(Process p) throws InterruptedException {
        if (p == null) return;
        List<ProcessHandle> children = p.descendants().toList();
        children.forEach(ProcessHandle::destroy);
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            children.forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** Waits until {@code condition} holds; fails with {@code what} after {@code timeout}. */
    public static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            Thread.sleep(20);
        }
    }

    public static boolean contains(Path log, String text) {
        try {
            return Files.exists(log) && Files.readString(log).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    /** A new directory {@code /tmp/<prefix>...}. */
    public static Path tempDir(String prefix) throws IOException {
        return tempDir(TMP, prefix);
    }

    /** A new directory {@code <parent>/<prefix>...}. */
    public static Path tempDir(Path parent, String prefix) throws IOException {
        return Files.createTempDirectory(parent, prefix);
    }

    /** Deletes a directory tree; nothing when it is null or gone. */
    public static void delete(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /**
     * CPU time (user + system) a live process has used so far, from {@code /proc/PID/stat} in clock ticks turned into
     * nanoseconds; -1 when the process is gone. Threads included, children not.
     */
    public static long cpuNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // the command name (field 2) is in parentheses and may hold spaces: count fields after its ')'
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
            return ticks * (1_000_000_000L / CLOCK_TICKS);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
