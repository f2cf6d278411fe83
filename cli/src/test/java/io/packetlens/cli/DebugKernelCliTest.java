package io.packetlens.cli;

import io.packetlens.ebpf.tracing.KernelDebugLog;
import io.packetlens.lab.Bpffs;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.testkit.KernelTest;
import io.packetlens.testkit.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --debug-kernel} on {@code flows} and {@code guard}: the programs' debug lines of lab traffic in the Java log
 * (listened to on the logger itself: the console handler may hold an earlier System.err), and none without the flag.
 */
@KernelTest
class DebugKernelCliTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();



    /** Sends once {@code h}'s interface has an XDP program (loading takes a second or two). */
    private static Thread sendWhenAttached(Host from, Host h, int count, int port) {
        return Thread.ofPlatform().start(() -> {
            try {
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (!h.exec("ip", "-d", "link", "show", h.ifname()).contains("prog/xdp")) {
                    if (System.nanoTime() > deadline) throw new AssertionError("nothing attached on " + h.ifname() + " within 20 s");
                    Thread.sleep(50);
                }
                Traffic.udp(from, h, false, count, 20, port);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void flowsLogsTheFlowProgramsLinesOnlyWithTheFlag() throws Exception {
        int port = ThreadLocalRandom.current().nextInt(20_000, 30_000);
        try (Lab lab = Lab.create(); LogCapture logs = LogCapture.open(KernelDebugLog.LOGGER)) {
            Host a = lab.a(), b = lab.b();
            String to = " -> " + b.ipv4() + ":" + port + " proto 17";
            Thread sender = sendWhenAttached(a, b, 4, port);
            int code = b.call(() -> Main.run("flows", "-i", b.ifname(), "--json", "--duration", "5", "--no-metrics", "--debug-kernel"));
            sender.join();
            assertThat(code).isZero();
            assertThat(logs.messages()).filteredOn(m -> m.startsWith("[flow] new flow " + a.ipv4() + ":") && m.contains(to)).hasSize(1);

            // the same without the flag: the programs print nothing, and no log reads
            Thread quiet = sendWhenAttached(a, b, 4, port + 1);
            code = b.call(() -> Main.run("flows", "-i", b.ifname(), "--json", "--duration", "5", "--no-metrics"));
            quiet.join();
            assertThat(code).isZero();
            assertThat(logs.messages()).noneMatch(m -> m.contains(":" + (port + 1) + " proto"));
        }
    }

    @Test
    void guardLogsItsDrops(@TempDir Path dir) throws Exception {
        int port = ThreadLocalRandom.current().nextInt(30_000, 40_000);
        Path rules = dir.resolve("rules.yaml");
        Files.writeString(rules, "rules:\n  - {name: no-port, action: deny, protocol: udp, destination-port: " + port + "}\n");
        Path mount = Path.of("/tmp/pl-debugcli-" + ProcessHandle.current().pid()); // the XDP chain's pins, private
        Bpffs.mountPrivate(mount);
        try (Lab lab = Lab.create(); LogCapture logs = LogCapture.open(KernelDebugLog.LOGGER)) {
            Host a = lab.a(), b = lab.b();
            var run = java.util.concurrent.CompletableFuture.supplyAsync(() -> Main.run("guard", "-i", b.namespace() + "/" + b.ifname(),
                    "--rules", rules.toString(), "--process-scoped", "--pin", mount.toString(), "--no-metrics", "--duration", "3", "--debug-kernel"));
            // the banner comes once the guard is in the chain (the chain's dispatcher shows in ip link a moment earlier)
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!console.stdout().contains("packetlens guard: xdp on")) {
                assertThat(System.nanoTime()).as("attached within 20 s").isLessThan(deadline);
                Thread.sleep(50);
            }
            assertThat(Traffic.udp(a, b, false, 3, 20, port).packets()).isEqualTo(3);
            assertThat(run.join()).isZero();
            assertThat(logs.messages()).filteredOn(m -> m.startsWith("[guard] drop reason 4 ") && m.contains(" -> " + b.ipv4() + ":" + port + " proto 17"))
                    .hasSize(3);
            assertThat(b.exec("ip", "-d", "link", "show", b.ifname())).as("process-scoped: gone with the command").doesNotContain("prog/xdp");
        } finally {
            Bpffs.unmount(mount);
            Files.deleteIfExists(mount);
        }
    }
}
