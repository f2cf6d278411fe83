package io.packetlens.guard;

import io.packetlens.ebpf.TestRun;
import io.packetlens.ebpf.cpu.Cpus;
import io.packetlens.guard.rules.RulesReader;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;

import static io.packetlens.packet.Frame.ethernet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The measurement behind docs/GUARD.md's choice of shared buckets: test-run ns/packet of a rate-limited SYN through
 * shared (HASH, compare-and-swap) and per-CPU (PERCPU_HASH, plain stores) buckets, and what each lets through when one
 * source's packets arrive on two CPUs: shared buckets hold the limit, per-CPU ones let each CPU have it.
 */
@KernelTest
class GuardBucketMeasureTest {
    private static final String RULES = """
            rate-limits:
              syn: {packets-per-second: 1, burst: 100, traffic: syn}
            rules:
              - {name: syn, action: rate-limit, limit: syn, protocol: tcp, tcp-flags: {set: [syn], unset: [ack]}}
              - {name: other, action: count, protocol: udp}
            """;

    @Test
    void sharedBucketsHoldTheLimitAcrossCpusAndCostAboutTheSame() throws Exception {
        assumeTrue(Cpus.online().length >= 2, "needs two CPUs");
        byte[] syn = ethernet().ipv4("10.5.5.5", "10.6.6.6").tcp(1234, 80).tcpFlags(0x02).build();
        byte[] udp = ethernet().ipv4("10.5.5.5", "10.6.6.6").udp(1234, 80).payload(10).build();
        long[] passed = new long[2];
        double[] nsLimited = new double[2];
        double nsPlain = 0;
        for (int v = 0; v < 2; v++) {
            boolean perCpu = v == 1;
            try (GuardProgram g = GuardProgram.load(RulesReader.parse(RULES), GuardOptions.unpinned().perCpuBuckets(perCpu))) {
                var prog = g.program(GuardProgram.Hook.XDP);
                // 150 SYNs on CPU 0, then 150 on CPU 1, well within one second: a burst of 100 for the source
                for (int cpu = 0; cpu < 2; cpu++) {
                    int c = Cpus.online()[cpu];
                    onCpu(c, () -> {
                        for (int i = 0; i < 150; i++) prog.testRun(TestRun.of(syn));
                        return null;
                    });
                }
                passed[v] = g.reasons().get(DropReason.PASSED).packets();
                // cost: the same source over its limit, repeated in the kernel (drops, each a full bucket update attempt)
                nsLimited[v] = onCpu(Cpus.online()[0], () -> (double) prog.testRun(TestRun.of(syn).repeat(200_000)).durationNanos());
                if (v == 0) nsPlain = onCpu(Cpus.online()[0], () -> (double) prog.testRun(TestRun.of(udp).repeat(200_000)).durationNanos());
            }
        }
        System.out.printf("guard buckets: shared %.0f ns/packet, per-CPU %.0f ns/packet (rate-limited SYN); count-rule UDP %.0f ns/packet;"
                + " passed of 2 x 150 SYNs on two CPUs with burst 100: shared %d, per-CPU %d%n", nsLimited[0], nsLimited[1], nsPlain,
                passed[0], passed[1]);
        assertThat(passed[0]).as("shared: one burst for the source").isEqualTo(100);
        assertThat(passed[1]).as("per-CPU: a burst per CPU").isEqualTo(200);
    }

    private static <T> T onCpu(int cpu, Callable<T> task) throws Exception {
        FutureTask<T> f = new FutureTask<>(() -> {
            Cpus.pinCurrentThread(cpu);
            return task.call();
        });
        Thread.ofPlatform().start(f).join();
        return f.get();
    }
}
