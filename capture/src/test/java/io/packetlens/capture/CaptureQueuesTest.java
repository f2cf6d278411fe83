package io.packetlens.capture;

import io.packetlens.ebpf.xsk.BindMode;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.packet.FlowFrames;
import io.packetlens.programs.capture.CaptureMode;
import io.packetlens.testkit.KernelTest;
import io.packetlens.trafficgen.InterfaceMac;
import io.packetlens.trafficgen.TrafficGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Steal mode on a device with several RX queues: one AF_XDP socket per queue, all frames of all queues in one file. */
@KernelTest
class CaptureQueuesTest {
    static final String IF = "mq0";
    static final int PER_QUEUE = 3000;

    @TempDir
    Path dir;

    @Test
    void everyQueueIsCaptured() throws Exception {
        Path file = dir.resolve("mq.pcapng");
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            a.exec("ip", "link", "add", IF, "numtxqueues", "4", "numrxqueues", "4", "type", "veth",
                    "peer", "name", IF, "netns", b.namespace(), "numtxqueues", "4", "numrxqueues", "4");
            a.exec("ip", "link", "set", IF, "up");
            b.exec("ip", "link", "set", IF, "up");
            Capture cap = b.call(() -> Capture.open(CaptureOptions.of(IF).mode(CaptureMode.STEAL).framesPerQueue(4096)
                    .filter(io.packetlens.programs.filter.CaptureFilter.parse("udp")), file));
            try (cap) {
                assertThat(cap.queues()).isEqualTo(4);
                FutureTask<Long> run = new FutureTask<>(() -> cap.run(4L * PER_QUEUE, Duration.ofSeconds(30), () -> false));
                Thread.ofPlatform().start(run);
                byte[] mac = a.call(() -> InterfaceMac.of(IF));
                for (int q = 0; q < 4; q++) {
                    // each queue's frames carry their queue in the destination port: 7000 + q
                    FlowFrames frames = new FlowFrames(FlowFrames.Protocol.UDP, 80, 10, mac, InterfaceMac.parse("02:00:00:00:00:99"),
                            InetAddress.ofLiteral("10.7.0.1"), InetAddress.ofLiteral("10.7.0.2"), 7000 + q);
                    int queue = q;
                    try (TrafficGenerator gen = a.call(() -> TrafficGenerator.open(IF, queue, frames, BindMode.AUTO))) {
                        assertThat(gen.run(PER_QUEUE, 0, () -> false).sent()).isEqualTo(PER_QUEUE);
                    }
                }
                assertThat(run.get(30, TimeUnit.SECONDS)).isEqualTo(4L * PER_QUEUE);
                assertThat(cap.stats().dropped()).isZero();
                assertThat(cap.stats().missed()).isZero();
                // veth hands a frame sent on TX queue q to RX queue q of its peer: each socket got its own queue's frames
                assertThat(cap.framesPerQueue()).containsExactly(PER_QUEUE, PER_QUEUE, PER_QUEUE, PER_QUEUE);
            }
            List<String[]> rows = Tshark.fields(file, "udp.dstport");
            assertThat(rows).hasSize(4 * PER_QUEUE);
            for (int q = 0; q < 4; q++) {
                String port = Integer.toString(7000 + q);
                assertThat(rows.stream().filter(r -> r[0].equals(port)).count()).as("frames of queue %d", q).isEqualTo(PER_QUEUE);
            }
        }
    }
}
