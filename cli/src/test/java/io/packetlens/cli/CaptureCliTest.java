package io.packetlens.cli;

import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.OpenFds;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code packetlens capture} and {@code packetlens trafficgen} end to end in the lab, and their errors. */
@KernelTest
class CaptureCliTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @TempDir
    Path dir;





    @Test
    void trafficgenFramesAreCapturedAndReadByTshark() throws Exception {
        Path file = dir.resolve("cli.pcapng");
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            FutureTask<Integer> capture = new FutureTask<>(() -> b.call(() ->
                    Main.run("capture", "-i", b.ifname(), "-w", file.toString(), "-c", "2000", "--duration", "30", "udp", "dst", "port", "7000")));
            Thread.ofPlatform().start(capture);
            for (int i = 0; i < 100 && !b.exec("bpftool", "-j", "net", "show").contains("\"xdp\":[{"); i++) Thread.sleep(100);
            int gen = a.call(() -> Main.run("trafficgen", "-i", a.ifname(), "--count", "2000", "--flows", "20", "--size", "128",
                    "--src-ip", a.ipv4(), "--dst-ip", b.ipv4(), "--dst-mac", b.mac(), "--dst-port", "7000"));
            assertThat(gen).isZero();
            assertThat(capture.get(60, TimeUnit.SECONDS)).isZero();
            assertThat(console.stdout()).contains("sent 2000 frames");
            assertThat(console.stderr()).contains("mirror mode on veth0").contains("2000 packets captured").contains("0 dropped");
            Process p = new ProcessBuilder("tshark", "-n", "-r", file.toString(), "-T", "fields", "-e", "udp.srcport", "-e", "frame.len")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            var rows = new String(p.getInputStream().readAllBytes()).lines().toList();
            assertThat(p.waitFor()).isZero();
            assertThat(rows).hasSize(2000).allMatch(r -> r.endsWith("\t128"));
            assertThat(rows.stream().map(r -> r.split("\t")[0]).distinct().count()).isEqualTo(20);
            assertThat(b.exec("bpftool", "-j", "net", "show")).contains("\"xdp\":[]");
        }
    }

    @Test
    void trafficgenFloodsFromEveryAddressOfAPrefixWithValidChecksums() throws Exception {
        Path file = dir.resolve("flood.pcapng");
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            FutureTask<Integer> capture = new FutureTask<>(() -> b.call(() ->
                    Main.run("capture", "-i", b.ifname(), "-w", file.toString(), "-c", "640", "--duration", "30", "tcp", "dst", "port", "7001")));
            Thread.ofPlatform().start(capture);
            for (int i = 0; i < 100 && !b.exec("bpftool", "-j", "net", "show").contains("\"xdp\":[{"); i++) Thread.sleep(100);
            // 64 sources x 5 ports = 320 distinct SYNs, twice round
            int gen = a.call(() -> Main.run("trafficgen", "-i", a.ifname(), "--count", "640", "--proto", "syn", "--sources", "10.77.1.0/26",
                    "--flows", "320", "--dst-ip", b.ipv4(), "--dst-mac", b.mac(), "--dst-port", "7001"));
            assertThat(gen).isZero();
            assertThat(capture.get(60, TimeUnit.SECONDS)).isZero();
            assertThat(console.stdout()).contains("sent 640 frames");
            Process p = new ProcessBuilder("tshark", "-n", "-r", file.toString(), "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
                    "-T", "fields", "-e", "ip.src", "-e", "tcp.srcport", "-e", "tcp.flags", "-e", "tcp.checksum.status", "-e", "ip.checksum.status",
                    "-e", "frame.len").redirectError(ProcessBuilder.Redirect.DISCARD).start();
            var rows = new String(p.getInputStream().readAllBytes()).lines().toList();
            assertThat(p.waitFor()).isZero();
            assertThat(rows).hasSize(640);
            // SYN only, both checksums good, 60-byte frames
            assertThat(rows).allMatch(r -> r.matches("10\\.77\\.1\\.\\d+\t\\d+\t0x0*2\t1\t1\t60"), "SYN from 10.77.1.0/26, checksums good (tshark: 1)");
            assertThat(rows.stream().map(r -> r.split("\t")[0]).distinct().count()).isEqualTo(64);
            assertThat(rows.stream().map(r -> r.split("\t")[0] + ":" + r.split("\t")[1]).distinct().count()).isEqualTo(320);
        }
    }

    @Test
    void theLiveEngineSendsTheSameFloodFromTheKernel() throws Exception {
        Path file = dir.resolve("live.pcapng");
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            // the capture's XDP program gives b's veth the NAPI that xdp_frames need
            FutureTask<Integer> capture = new FutureTask<>(() -> b.call(() ->
                    Main.run("capture", "-i", b.ifname(), "-w", file.toString(), "-c", "640", "--duration", "30", "tcp", "dst", "port", "7002")));
            Thread.ofPlatform().start(capture);
            for (int i = 0; i < 100 && !b.exec("bpftool", "-j", "net", "show").contains("\"xdp\":[{"); i++) Thread.sleep(100);
            int gen = a.call(() -> Main.run("trafficgen", "-i", a.ifname(), "--engine", "live", "--count", "640", "--proto", "syn",
                    "--sources", "10.77.2.0/26", "--flows", "320", "--dst-ip", b.ipv4(), "--dst-mac", b.mac(), "--dst-port", "7002"));
            assertThat(gen).isZero();
            assertThat(capture.get(60, TimeUnit.SECONDS)).isZero();
            assertThat(console.stdout()).contains("wrote 640 frames");
            Process p = new ProcessBuilder("tshark", "-n", "-r", file.toString(), "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
                    "-T", "fields", "-e", "ip.src", "-e", "tcp.srcport", "-e", "tcp.flags", "-e", "tcp.checksum.status", "-e", "ip.checksum.status",
                    "-e", "frame.len").redirectError(ProcessBuilder.Redirect.DISCARD).start();
            var rows = new String(p.getInputStream().readAllBytes()).lines().toList();
            assertThat(p.waitFor()).isZero();
            assertThat(rows).hasSize(640);
            assertThat(rows).allMatch(r -> r.matches("10\\.77\\.2\\.\\d+\t\\d+\t0x0*2\t1\t1\t60"), "SYN from 10.77.2.0/26, checksums good (tshark: 1)");
            assertThat(rows.stream().map(r -> r.split("\t")[0] + ":" + r.split("\t")[1]).distinct().count()).isEqualTo(320);
            assertThat(Main.run("trafficgen", "-i", "lo", "--engine", "live", "--count", "1", "--proto", "udp")).isEqualTo(2);
            assertThat(console.stderr()).contains("--engine live sends --sources or --proto syn frames");
        }
    }

    @Test
    void badInputIsAClearErrorAndLeaksNothing() throws Exception {
        int fds = OpenFds.count();
        Path file = dir.resolve("x.pcapng");
        assertThat(Main.run("capture", "-i", "nosuch0", "-w", file.toString())).isEqualTo(2);
        assertThat(console.stderr()).contains("no network interface named 'nosuch0'");
        assertThat(Main.run("capture", "-i", "lo", "-w", file.toString(), "not", "tcp")).isEqualTo(2);
        assertThat(console.stderr()).contains("filter: 'not' is not supported");
        assertThat(Main.run("capture", "-i", "lo", "-w", file.toString(), "--mode", "borrow")).isEqualTo(2);
        assertThat(console.stderr()).contains("Invalid value for option '--mode': expected one of [MIRROR, STEAL]");
        assertThat(Main.run("trafficgen", "-i", "lo", "--count", "10", "--size", "20")).isEqualTo(2);
        assertThat(console.stderr()).contains("frame size must be 42..");
        assertThat(Main.run("trafficgen", "-i", "lo", "--count", "10", "--sources", "10.77.0.1/16")).isEqualTo(2);
        assertThat(console.stderr()).contains("--sources: '10.77.0.1/16' has host bits set");
        assertThat(Main.run("trafficgen", "-i", "lo", "--count", "10", "--proto", "tcp", "--sources", "10.77.0.0/16")).isEqualTo(2);
        assertThat(console.stderr()).contains("--sources sends udp or syn frames");
        assertThat(OpenFds.count()).isEqualTo(fds);
        try (Lab lab = Lab.create()) {
            Host a = lab.a();
            assertThat(a.call(() -> Main.run("trafficgen", "-i", a.ifname(), "--count", "10", "--queue", "3"))).isEqualTo(2);
            assertThat(console.stderr()).contains("queue 3 does not exist on veth0 (it has 1 RX and 1 TX queues");
        }
        assertThat(Files.exists(file)).isFalse();
    }

    @Test
    void helpListsTheNewCommands() {
        assertThat(Main.run("--help")).isZero();
        assertThat(console.stdout()).contains("capture").contains("trafficgen");
        assertThat(Main.run("capture", "--help")).isZero();
        assertThat(console.stdout()).contains("mirror (default").contains("FILTER");
    }
}
