package io.packetlens.dist;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hardened systemd unit, checked by systemd itself: {@code systemd-analyze verify} must accept it without a
 * single warning, in a root where it is installed as the packaging docs say (the launcher of the distribution at
 * /opt/packetlens/bin/packetlens), and {@code systemd-analyze security} must rate its exposure low.
 */
class SystemdUnitTest {
    private static final Path UNIT = Path.of("../packaging/systemd/packetlens.service");

    private static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        int rc = p.waitFor();
        assertThat(rc).as(String.join(" ", command) + ":\n" + out).isZero();
        return out;
    }

    /** A root holding the system's unit library, the unit and the distribution's launcher. */
    private static Path installRoot(Path dir) throws Exception {
        Path root = dir.resolve("root");
        Path lib = Files.createDirectories(root.resolve("usr/lib/systemd/system"));
        try (Stream<Path> s = Files.list(Path.of("/usr/lib/systemd/system"))) {
            for (Path p : s.toList()) {
                if (Files.isRegularFile(p)) Files.copy(p, lib.resolve(p.getFileName()));
            }
        }
        Path units = Files.createDirectories(root.resolve("etc/systemd/system"));
        Files.copy(UNIT, units.resolve("packetlens.service"));
        Path dist = Distribution.unpack(Files.createDirectories(dir.resolve("unpacked")));
        Path bin = Files.createDirectories(root.resolve("opt/packetlens/bin"));
        Files.copy(dist.resolve("bin/packetlens"), bin.resolve("packetlens"), StandardCopyOption.COPY_ATTRIBUTES);
        return root;
    }

    @Test
    void systemdAcceptsTheUnitWithoutAWarning(@TempDir Path dir) throws Exception {
        Path root = installRoot(dir);
        String out = run(List.of("systemd-analyze", "verify", "--root=" + root, "packetlens.service"));
        assertThat(out).as("systemd-analyze verify prints nothing for a clean unit").isBlank();
    }

    @Test
    void itsExposureIsRatedLow(@TempDir Path dir) throws Exception {
        Path root = installRoot(dir);
        String out = run(List.of("systemd-analyze", "security", "--offline=yes", "--root=" + root, "packetlens.service"));
        Matcher m = Pattern.compile("Overall exposure level for packetlens.service: ([0-9.]+) (\\S+)").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        double level = Double.parseDouble(m.group(1));
        System.out.println("systemd-analyze security: exposure " + level + " " + m.group(2));
        assertThat(level).as("exposure (0 safest, 10 unsafe); systemd calls below 4.0 OK or better\n" + out).isLessThan(4.0);
    }

    @Test
    void theUnitKeepsOnlyTheCapabilitiesEbpfNeeds() throws Exception {
        String unit = Files.readString(UNIT);
        assertThat(unit).contains("CapabilityBoundingSet=CAP_BPF CAP_NET_ADMIN CAP_PERFMON\n")
                .contains("AmbientCapabilities=CAP_BPF CAP_NET_ADMIN CAP_PERFMON\n")
                .contains("NoNewPrivileges=yes").contains("ProtectSystem=strict").contains("ReadWritePaths=/sys/fs/bpf")
                .doesNotContain("CAP_SYS_ADMIN");
    }
}
