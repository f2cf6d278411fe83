package io.packetlens.capture;

import com.sun.management.ThreadMXBean;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.programs.capture.CaptureMode;
import io.packetlens.programs.filter.CaptureFilter;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The capture loop allocates nothing per frame in either mode: after a warm-up, the capturing
 * thread's allocation counter barely moves while it writes 20,000 more frames to the file. In
 * mirror mode this covers the ring buffer reader (each record handed over without a view object
 * per record), in steal mode the AF_XDP receive path, and in both the pcapng writer.
 */
@KernelTest
class CaptureAllocationTest {
    static final int WARMUP = 30_000, MEASURED = 20_000;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(CaptureMode.class)
    void capturingAllocatesNothingPerFrame(CaptureMode mode) throws Exception {
        Path file = dir.resolve("alloc-" + mode + ".pcapng");
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            CaptureOptions opts = CaptureOptions.of(b.ifname()).mode(mode).filter(CaptureFilter.parse("udp and dst port 9000"));
            Capture cap = b.call(() -> Capture.open(opts, file));
            try (cap) {
                ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
                long[] result = new long[3]; // frames of the warm-up run, frames of the measured run, bytes allocated in it
                // made before the measurement: linking a lambda's call site the first time allocates tens of kilobytes
                BooleanSupplier never = () -> false;
                Duration limit = Duration.ofSeconds(60);
                FutureTask<Void> capturing = new FutureTask<>(() -> {
                    result[0] = cap.run(WARMUP, limit, never);
                    long before = threads.getCurrentThreadAllocatedBytes();
                    result[1] = cap.run(MEASURED, limit, never);
                    result[2] = threads.getCurrentThreadAllocatedBytes() - before;
                    return null;
                });
                Thread.ofPlatform().start(capturing);
                // the sender keeps going until the capture has its frames: frames lost while the capturing thread
                // was descheduled on a busy machine would show as drops, which are no concern of this test
                a.run(() -> {
                    try (DatagramSocket s = new DatagramSocket()) {
                        byte[] p = new byte[64];
                        DatagramPacket d = new DatagramPacket(p, p.length, new InetSocketAddress(b.ipv4(), 9000));
                        for (int i = 0; !capturing.isDone() && i < 10 * (WARMUP + MEASURED); i++) {
                            s.send(d);
                            if (i % 200 == 199) Thread.sleep(1);
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                capturing.get(120, TimeUnit.SECONDS);
                assertThat(result[0]).as("frames of the warm-up; %s", cap.stats()).isEqualTo(WARMUP);
                assertThat(result[1]).as("frames measured; %s", cap.stats()).isEqualTo(MEASURED);
                // a few hundred bytes may come from JIT deoptimization and from handing full buffers to the file
                // writer thread; one object per frame would be >= 320,000
                assertThat(result[2]).as("bytes allocated while capturing %d frames in %s mode", MEASURED, mode).isLessThan(16_384);
            }
        }
    }
}
