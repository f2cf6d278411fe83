package io.packetlens.lab;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/** Runs external commands with both output streams drained and a timeout, so a chatty or stuck command cannot hang a test. */
final class Commands {

    /** Generous: a command that takes this long is stuck, not slow. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    /** Non-root shells often lack the sbin directories in PATH, so look there too. */
    private static final List<String> EXTRA_DIRS = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin");

    /** Commands get no stdin: one that waits for input would otherwise hang until the timeout. */
    static final ProcessBuilder.Redirect NO_INPUT = ProcessBuilder.Redirect.from(new java.io.File("/dev/null"));

    private static volatile String ip;

    private Commands() {
    }

    record Result(List<String> command, int exitCode, String stdout, String stderr) {
        String orThrow() throws CommandFailedException {
            if (exitCode != 0) {
                throw new CommandFailedException(command, exitCode, stderr.isBlank() ? stdout : stderr);
            }
            return stdout;
        }
    }

    static Optional<Path> find(String name) {
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.concat(Stream.of(path.split(":")), EXTRA_DIRS.stream())
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, name))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** Absolute path of {@code ip}, resolved once. */
    static String ip() throws IOException {
        String resolved = ip;
        if (resolved == null) {
            resolved = find("ip")
                    .orElseThrow(() -> new IOException("the `ip` command (iproute2) was not found in PATH or /usr/sbin, /sbin"))
                    .toString();
            ip = resolved;
        }
        return resolved;
    }

    static List<String> ip(String... args) throws IOException {
        List<String> command = new ArrayList<>(args.length + 1);
        command.add(ip());
        command.addAll(List.of(args));
        return command;
    }

    /** Runs the command and returns stdout, or throws {@link CommandFailedException} with stderr. */
    static String run(List<String> command) throws IOException {
        return exec(command, DEFAULT_TIMEOUT).orThrow();
    }

    static Result exec(List<String> command, Duration timeout) throws IOException {
        Process process = new ProcessBuilder(command).redirectInput(NO_INPUT).start();
        FutureTask<String> out = drain(process.getInputStream());
        FutureTask<String> err = drain(process.getErrorStream());
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new IOException("`" + String.join(" ", command) + "` did not finish within " + timeout);
            }
            return new Result(command, process.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running `" + String.join(" ", command) + "`", e);
        } catch (ExecutionException | TimeoutException e) {
            // a grandchild may keep the pipe open after the command exited; its output is not ours to wait for
            throw new IOException("could not read the output of `" + String.join(" ", command) + "`", e);
        }
    }

    private static FutureTask<String> drain(InputStream stream) {
        FutureTask<String> task = new FutureTask<>(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        Thread.ofVirtual().name("command-output").start(task);
        return task;
    }
}
