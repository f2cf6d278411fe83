package io.packetlens.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The JUnit extension behind {@link KernelTest}: checks for root (effective uid 0) and the {@code ip} command before a
 * kernel test runs; skips (aborts) when not root outside CI, fails with the reason otherwise.
 */
public final class KernelTestCondition implements BeforeAllCallback, BeforeEachCallback {

    /** What to do about a kernel test in a given environment. */
    enum Verdict { RUN, SKIP, FAIL }

    @Override
    public void beforeAll(ExtensionContext context) {
        check();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        check();
    }

    private static void check() {
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        Optional<String> notRoot = whyNotRoot();
        boolean ipPresent = onPath("ip");
        String reason = notRoot.orElse(ipPresent ? "" : "the `ip` command (iproute2) is not installed");
        switch (verdict(ci, notRoot.isEmpty(), ipPresent)) {
            case RUN -> {
            }
            case SKIP -> Assumptions.abort("kernel test skipped: " + reason + " (run as root, e.g. sudo)");
            case FAIL -> throw new IllegalStateException("kernel test cannot run" + (ci ? " under CI=true" : "") + ": " + reason);
        }
    }

    /** Not being root is the one expected reason to skip a kernel test, and only outside CI; anything else is a broken setup. */
    static Verdict verdict(boolean ci, boolean root, boolean ipPresent) {
        if (root && ipPresent) {
            return Verdict.RUN;
        }
        return !ci && !root ? Verdict.SKIP : Verdict.FAIL;
    }

    /** Whether {@code name} is an executable in PATH or the sbin/bin directories a non-root PATH may lack. */
    static boolean onPath(String name) {
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.concat(Stream.of(path.split(":")), Stream.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"))
                .filter(dir -> !dir.isEmpty())
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, name)));
    }

    /** Empty when the effective uid is 0; otherwise why not. */
    static Optional<String> whyNotRoot() {
        Path status = Path.of("/proc/self/status");
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("Uid:")) {
                    // Uid: real effective saved filesystem
                    String effective = line.substring(4).trim().split("\\s+")[1];
                    return effective.equals("0") ? Optional.empty() : Optional.of("not root (effective uid " + effective + ")");
                }
            }
            return Optional.of("no Uid line in " + status);
        } catch (IOException e) {
            return Optional.of("cannot read " + status + " (not Linux?): " + e.getMessage());
        }
    }
}
