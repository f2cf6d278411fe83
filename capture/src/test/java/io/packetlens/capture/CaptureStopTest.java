package io.packetlens.capture;

import io.packetlens.capture.pcapng.PcapngReader;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.programs.capture.CaptureMode;
import io.packetlens.programs.filter.CaptureFilter;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ending a capture that waits for frames: {@link Capture#close} from another thread makes a
 * blocked {@link Capture#run} return (at once in mirror mode, where it wakes the ring buffer
 * read), waits for it, and still leaves a complete file; a stop request is seen within the
 * 100 ms the loop waits at most.
 */
@KernelTest
class CaptureStopTest {
    static final int FRAMES = 10;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(CaptureMode.class)
    void closeFromAnotherThreadEndsABlockedRunPromptlyAndCompletesTheFile(CaptureMode mode) throws Exception {
        Path file = dir.resolve("close-" + mode + ".pcapng");
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            Capture cap = b.call(() -> Capture.open(CaptureOptions.of(b.ifname()).mode(mode)
                    .filter(CaptureFilter.parse("udp and dst port 9000")), file));
            AtomicLong returnedAt = new AtomicLong();
            FutureTask<Long> run = new FutureTask<>(() -> {
                try {
                    return cap.run(0, null, () -> false);
                } finally {
                    returnedAt.set(System.nanoTime());
                }
            });
            Thread.ofPlatform().start(run);
            Traffic.udp(a, b, false, FRAMES, 100, 9000);
            // the frames are taken, then the loop waits for more (mirror mode: in epoll_wait on the ring)
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (cap.written() < FRAMES && System.nanoTime() < deadline) Thread.sleep(20);
            Thread.sleep(200);
            assertThat(run.isDone()).isFalse();
            long start = System.nanoTime();
            cap.close();
            long closeMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(run.get(5, TimeUnit.SECONDS)).as("frames written by the run").isEqualTo(FRAMES);
            long runMillis = (returnedAt.get() - start) / 1_000_000;
            // steal mode looks again after at most 100 ms of poll(); mirror mode is woken through the reader's eventfd
            // (a few ms on a quiet machine); without the wake-up the run would never return, so 2 s proves it
            // and leaves room for a loaded machine
            assertThat(runMillis).as("ms until the blocked run returned").isLessThan(2_000);
            assertThat(closeMillis).as("ms close took").isLessThan(3_000);
            cap.close(); // idempotent
            PcapngReader pr = new PcapngReader(file);
            assertThat(pr.packets()).hasSize(FRAMES);
            Map<Integer, byte[]> isb = pr.options(5, 12);
            assertThat(PcapngReader.u64(isb.get(8))).as("isb_usrdeliv").isEqualTo(FRAMES);
            assertThat(PcapngReader.u64(isb.get(5))).as("isb_ifdrop").isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(CaptureMode.class)
    void aStopRequestEndsABlockedRunWithinItsWait(CaptureMode mode) throws Exception {
        Path file = dir.resolve("stop-" + mode + ".pcapng");
        try (Lab lab = Lab.create()) {
            Host b = lab.b();
            Capture cap = b.call(() -> Capture.open(CaptureOptions.of(b.ifname()).mode(mode)
                    .filter(CaptureFilter.parse("udp and dst port 9000")), file));
            try (cap) {
                AtomicBoolean stop = new AtomicBoolean();
                FutureTask<Long> run = new FutureTask<>(() -> cap.run(0, null, stop::get));
                Thread.ofPlatform().start(run);
                Thread.sleep(300);
                assertThat(run.isDone()).isFalse();
                long start = System.nanoTime();
                stop.set(true);
                assertThat(run.get(5, TimeUnit.SECONDS)).isZero();
                // the loop waits at most 100 ms before it looks at the request; the rest is slack for a busy machine
                assertThat((System.nanoTime() - start) / 1_000_000).as("ms until the run returned").isLessThan(2_000);
            }
        }
    }
}
