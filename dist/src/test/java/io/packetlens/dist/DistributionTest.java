package io.packetlens.dist;

import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The self-contained distribution runs the demo on a machine without a JDK: JAVA_HOME unset, and a PATH on which no
 * java, javac or jlink can be found (every other command of /usr/bin, /bin, /usr/sbin and /sbin stays reachable).
 */
@KernelTest
class DistributionTest {
    private static final List<String> JDK_TOOLS = List.of("java", "javac", "jar", "jlink", "jdeps", "jshell", "keytool", "jrunscript");

    /** A directory of links to every command of the system directories except the JDK's. */
    private static Path pathWithoutJava(Path dir) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String d : List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")) {
            if (!Files.isDirectory(Path.of(d))) continue;
            try (Stream<Path> s = Files.list(Path.of(d))) {
                for (Path p : s.toList()) {
                    String name = p.getFileName().toString();
                    if (JDK_TOOLS.contains(name) || Files.exists(bin.resolve(name), java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
                    Files.createSymbolicLink(bin.resolve(name), p);
                }
            }
        }
        return bin;
    }

    private static ProcessBuilder withoutJdk(Path path, String... command) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", path.toString());
        env.put("HOME", "/root");
        env.put("PACKETLENS_NO_CLEAR", "1");
        return pb;
    }

    @Test
    void theDemoRunsWithNoJdkOnTheMachine(@TempDir Path dir) throws Exception {
        Path dist = Distribution.unpack(dir);
        Path path = pathWithoutJava(dir);
        Process which = withoutJdk(path, "/bin/sh", "-c", "command -v java || echo none; echo JAVA_HOME=${JAVA_HOME:-unset}").start();
        assertThat(new String(which.getInputStream().readAllBytes())).as("the test's environment has no java").isEqualTo("none\nJAVA_HOME=unset\n");

        assertThat(dist.resolve("runtime/bin/java")).isExecutable();
        assertThat(dist.resolve("lib/packetlens.jar")).isRegularFile();
        assertThat(dist.resolve("share/systemd/packetlens.service")).isRegularFile();
        Process version = withoutJdk(path, dist.resolve("bin/packetlens").toString(), "--version").start();
        assertThat(new String(version.getInputStream().readAllBytes())).contains("packetlens 0.1.0");
        assertThat(version.waitFor()).isZero();

        Process demo = withoutJdk(path, dist.resolve("bin/packetlens").toString(), "demo", "--duration", "3", "--metrics", "127.0.0.1:0").start();
        String out = new String(demo.getInputStream().readAllBytes());
        assertThat(demo.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("demo: counts match the traffic sent").doesNotContain("MISMATCH");
        assertThat(demo.exitValue()).as(out).isZero();
    }
}
