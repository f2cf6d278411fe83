package io.packetlens.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.packetlens.lab.Bpffs;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code packetlens guard} end to end: rules enforced on lab traffic, the rules file reloaded on change (a bad one
 * refused while the rules in force stay), the guard left in force after the command ends, {@code guard status} from
 * another command, and {@code guard stop} removing it.
 */
@KernelTest
class GuardCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();
    private final Path mount = Path.of("/tmp/pl-guardcli-" + ProcessHandle.current().pid());

    @BeforeEach
    void mount() throws Exception {
        Bpffs.mountPrivate(mount);
    }

    @AfterEach
    void unmount() throws Exception {
        Bpffs.unmount(mount);
        Files.deleteIfExists(mount);
    }

    private static final String RULES = """
            default: allow
            rules:
              - {name: no-9000, action: deny, protocol: udp, destination-port: %d}
            """;

    private JsonNode status() throws Exception {
        console.resetOut();
        assertThat(Main.run("guard", "status", "--pin", mount.toString(), "--json")).isZero();
        String line = console.stdout().lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow();
        return JSON.readTree(line).get("guard");
    }

    private static long rule(JsonNode g, String name) {
        for (JsonNode r : g.get("rules")) if (r.get("name").asText().equals(name)) return r.get("packets").asLong();
        throw new AssertionError("no rule " + name + " in " + g);
    }

    @Test
    void rulesAreEnforcedReloadedAndStayInForceUntilStopped(@TempDir Path dir) throws Exception {
        Path rules = dir.resolve("rules.yaml");
        Files.writeString(rules, RULES.formatted(Traffic.UDP_PORT));
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> Main.run("guard", "-i", b.namespace() + "/" + b.ifname(),
                    // long enough for every step below on a loaded machine; the run is joined at the end
                    "--rules", rules.toString(), "--pin", mount.toString(), "--no-metrics", "--duration", "12"));
            long deadline = System.nanoTime() + 20_000_000_000L;
            // the banner comes once the agent has started, that is attached: the chain's dispatcher alone (visible in
            // `ip link` a moment earlier) would pass everything
            while (!console.stdout().contains("packetlens guard: xdp on")) {
                assertThat(System.nanoTime()).as("attached within 20 s").isLessThan(deadline);
                Thread.sleep(50);
            }
            long denied = Traffic.udp(a, b, false, 30, 20).packets(); // to the denied port: none arrive
            assertThat(denied).isEqualTo(30);
            Traffic.udp(a, b, false, 20, 20, 9100); // allowed
            JsonNode g = status();
            assertThat(rule(g, "no-9000")).isEqualTo(30);
            assertThat(g.get("generation").asLong()).isEqualTo(1);

            // a changed file is reloaded at the next poll; a bad one is refused and the rules in force stay
            Files.writeString(rules, RULES.formatted(9100).replace("no-9000", "no-9100"));
            Files.setLastModifiedTime(rules, FileTime.from(Instant.now().plusSeconds(1)));
            awaitGeneration(2);
            Traffic.udp(a, b, false, 10, 20, 9100);
            assertThat(rule(status(), "no-9100")).isEqualTo(10);
            // the refusal is logged (java.util.logging; its console handler may hold an older System.err: listen directly)
            java.util.List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
            java.util.logging.Handler listen = new java.util.logging.Handler() {
                @Override public void publish(java.util.logging.LogRecord r) { logged.add(r.getMessage()); }
                @Override public void flush() {}
                @Override public void close() {}
            };
            java.util.logging.Logger guardLog = java.util.logging.Logger.getLogger("packetlens.guard");
            guardLog.addHandler(listen);
            try {
                Files.writeString(rules, "rules:\n  - {action: drop}\n");
                Files.setLastModifiedTime(rules, FileTime.from(Instant.now().plusSeconds(2)));
                long refusedBy = System.nanoTime() + 8_000_000_000L;
                while (logged.stream().noneMatch(m -> m.contains("rules[0].action")) && System.nanoTime() < refusedBy) Thread.sleep(50);
            } finally {
                guardLog.removeHandler(listen);
            }
            assertThat(status().get("generation").asLong()).as("the bad file was refused").isEqualTo(2);
            assertThat(logged).anySatisfy(m -> assertThat(m).contains("rules[0].action").contains("the rules in force stay"));

            assertThat(run.join()).isZero();
            assertThat(console.stdout()).contains("the guard stays in force");
            assertThat(b.exec("ip", "-d", "link", "show", b.ifname())).as("pinned: still attached").contains("prog/xdp");
            Traffic.udp(a, b, false, 5, 20, 9100);
            assertThat(rule(status(), "no-9100")).as("still enforcing with no process").isEqualTo(15);

            console.resetOut();
            assertThat(Main.run("guard", "stop", "--pin", mount.toString())).isZero();
            assertThat(b.exec("ip", "-d", "link", "show", b.ifname())).doesNotContain("prog/xdp");
            assertThat(mount.resolve("guard")).doesNotExist();
            console.resetErr();
            assertThat(Main.run("guard", "status", "--pin", mount.toString())).isEqualTo(2);
            assertThat(console.stderr()).contains("no guard is pinned in");
        }
    }

    private void awaitGeneration(long g) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (status().get("generation").asLong() < g) {
            assertThat(System.nanoTime()).as("generation " + g + " within 10 s").isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    @Test
    void aBadRulesFileIsRefusedWithItsKeyAndLineAndNothingIsAttached(@TempDir Path dir) throws Exception {
        Path rules = dir.resolve("bad.yaml");
        Files.writeString(rules, "rules:\n  - {action: deny, protocol: tcp, destination-port: 99999}\n");
        try (Lab lab = Lab.create()) {
            Host b = lab.b();
            assertThat(Main.run("guard", "-i", b.namespace() + "/" + b.ifname(), "--rules", rules.toString(), "--pin", mount.toString())).isEqualTo(2);
            assertThat(console.stderr()).contains("rules[0].destination-port").contains("(line 2)");
            assertThat(b.exec("ip", "-d", "link", "show", b.ifname())).doesNotContain("prog/xdp");
            assertThat(mount.resolve("guard")).doesNotExist();
        }
    }
}
