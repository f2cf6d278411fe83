package io.packetlens.flow;

import io.packetlens.ebpf.TestRun;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The aggregator on packets injected with test-run and a clock moved by hand: idle and active timeouts, flush, eviction. */
@KernelTest
class FlowAggregatorTest {
    private static byte[] udp(int sport) {
        return Frames.udp4(sport, 9000, 10);
    }

    private static final int LEN = udp(1).length;

    private static void send(FlowProgram p, int sport, int packets) {
        assertThat(p.program(FlowProgram.Hook.XDP).testRun(TestRun.of(udp(sport)).repeat(packets)).xdpAction().name()).isEqualTo("PASS");
    }

    private static List<FinishedFlow> of(List<FinishedFlow> records, int sport) {
        return records.stream().filter(r -> r.key().sourcePort() == sport).toList();
    }

    @ParameterizedTest
    @EnumSource(FlowConfig.TableKind.class)
    void idleAndActiveTimeoutsEmitFinishedFlows(FlowConfig.TableKind kind) {
        FakeClock clock = new FakeClock();
        List<FinishedFlow> out = new ArrayList<>();
        try (FlowProgram p = FlowProgram.load(FlowConfig.defaults().tableKind(kind).tableSize(64));
             FlowAggregator agg = new FlowAggregator(p, FlowAggregator.Settings.defaults(), clock, out::add)) {
            Instant began = Instant.now();
            send(p, 1, 3); // A
            send(p, 2, 2); // B
            assertThat(agg.poll().newFlows()).isEqualTo(2);
            assertThat(out).isEmpty();
            assertThat(agg.activeFlows()).hasSize(2);
            assertThat(agg.totals().flowTraffic()).isEqualTo(new Count(5, 5L * LEN));

            clock.advance(Duration.ofSeconds(10));
            send(p, 2, 1);
            agg.poll();
            assertThat(out).as("A is quiet for 10 s only").isEmpty();

            clock.advance(Duration.ofSeconds(6));
            send(p, 2, 1);
            agg.poll();
            assertThat(out).hasSize(1);
            FinishedFlow a = out.getFirst();
            assertThat(a.reason()).isEqualTo(EndReason.IDLE);
            assertThat(a.key().sourcePort()).isEqualTo(1);
            assertThat(a.packets()).isEqualTo(3);
            assertThat(a.bytes()).isEqualTo(3L * LEN);
            assertThat(a.ipBytes()).as("IP total lengths").isEqualTo(3L * (LEN - 14));
            assertThat(a.minLength()).isEqualTo(LEN - 14);
            assertThat(a.maxLength()).isEqualTo(LEN - 14);
            assertThat(Duration.between(began, a.start()).toMillis()).as("kernel time became wall time").isCloseTo(0, within(2000L));
            assertThat(a.end()).isAfterOrEqualTo(a.start());
            assertThat(p.flows().keySet()).as("the idle flow left the kernel table").containsExactly(agg.activeFlows().getFirst().key());

            // B keeps sending: after 60 s an ACTIVE record with everything so far, and the flow stays
            long bSent = 4;
            for (int i = 0; i < 5; i++) {
                clock.advance(Duration.ofSeconds(10));
                send(p, 2, 1);
                bSent++;
                agg.poll();
            }
            assertThat(of(out, 2)).hasSize(1);
            FinishedFlow b1 = of(out, 2).getFirst();
            assertThat(b1.reason()).isEqualTo(EndReason.ACTIVE);
            assertThat(b1.packets()).isEqualTo(bSent);
            assertThat(p.flows()).hasSize(1);

            send(p, 2, 4);
            clock.advance(Duration.ofSeconds(5));
            agg.poll();
            assertThat(of(out, 2)).hasSize(1);
            clock.advance(Duration.ofSeconds(16));
            agg.poll();
            assertThat(of(out, 2)).hasSize(2);
            FinishedFlow b2 = of(out, 2).get(1);
            assertThat(b2.reason()).isEqualTo(EndReason.IDLE);
            assertThat(b2.packets()).as("the second record carries only what came after the first").isEqualTo(4);
            assertThat(b2.startNanos()).isGreaterThan(b1.endNanos());
            assertThat(b1.packets() + b2.packets()).isEqualTo(bSent + 4);
            assertThat(p.flows()).isEmpty();

            FlowAggregator.Totals t = agg.totals();
            assertThat(t.flows()).isEqualTo(2);
            assertThat(t.records()).isEqualTo(3);
            assertThat(t.activeFlows()).isZero();
            assertThat(t.flowTraffic()).isEqualTo(new Count(3 + bSent + 4, (3 + bSent + 4) * LEN));
            agg.flush();
            assertThat(out).hasSize(3);
        }
    }

    @ParameterizedTest
    @EnumSource(FlowConfig.TableKind.class)
    void flushReportsEveryFlowAndEmptiesTheTable(FlowConfig.TableKind kind) {
        List<FinishedFlow> out = new ArrayList<>();
        try (FlowProgram p = FlowProgram.load(FlowConfig.defaults().tableKind(kind).tableSize(64));
             FlowAggregator agg = new FlowAggregator(p, out::add)) {
            for (int s = 1; s <= 20; s++) send(p, s, s);
            agg.poll();
            send(p, 5, 100); // after the poll: only the drain sees these
            send(p, 21, 1); // a flow no poll has seen
            agg.flush();
            assertThat(out).hasSize(21).allMatch(f -> f.reason() == EndReason.END);
            for (int s = 1; s <= 21; s++) {
                long want = s == 5 ? 105 : s == 21 ? 1 : s;
                assertThat(of(out, s)).singleElement().satisfies(f -> assertThat(f.packets()).isEqualTo(want));
            }
            assertThat(p.flows()).isEmpty();
            assertThat(agg.totals().flowTraffic().packets()).isEqualTo(210 + 100 + 1);
        }
    }

    @org.junit.jupiter.api.Test
    void aClosedAggregatorRefusesToTouchTheKernel() {
        try (FlowProgram p = FlowProgram.load(FlowConfig.defaults().tableSize(8))) {
            FlowAggregator agg = new FlowAggregator(p, f -> { });
            agg.close();
            org.assertj.core.api.Assertions.assertThatThrownBy(agg::poll).isInstanceOf(IllegalStateException.class);
            org.assertj.core.api.Assertions.assertThatThrownBy(agg::flush).isInstanceOf(IllegalStateException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(FlowConfig.TableKind.class)
    void quietFlowsAreEvictedWhenTheTableFillsUp(FlowConfig.TableKind kind) {
        List<FinishedFlow> out = new ArrayList<>();
        FlowAggregator.Settings settings = FlowAggregator.Settings.defaults().evictAbove(0.5);
        try (FlowProgram p = FlowProgram.load(FlowConfig.defaults().tableKind(kind).tableSize(10));
             FlowAggregator agg = new FlowAggregator(p, settings, FlowClock.system(), out::add)) {
            for (int s = 1; s <= 6; s++) send(p, s, 2);
            agg.poll();
            assertThat(out).as("every flow just changed").isEmpty();
            send(p, 6, 1);
            agg.poll();
            assertThat(out).hasSize(5).allMatch(f -> f.reason() == EndReason.EVICTED && f.packets() == 2);
            assertThat(p.flows()).hasSize(1);
        }
    }

    @ParameterizedTest
    @EnumSource(FlowConfig.TableKind.class)
    void countListenerBusiestFlowsAndChangedFlowsFollowEachPoll(FlowConfig.TableKind kind) {
        List<FinishedFlow> out = new ArrayList<>();
        java.util.Map<Integer, Long> counted = new java.util.HashMap<>();
        try (FlowProgram p = FlowProgram.load(FlowConfig.defaults().tableKind(kind).tableSize(64));
             FlowAggregator agg = new FlowAggregator(p, out::add)) {
            agg.onCounted((f, packets, bytes) -> {
                assertThat(bytes).isEqualTo(packets * LEN);
                counted.merge(f.key().sourcePort(), packets, Long::sum);
            });
            for (int s = 1; s <= 30; s++) send(p, s, s);
            agg.poll();
            assertThat(agg.topFlows(3, FlowOrder.PACKETS)).extracting(f -> f.key().sourcePort()).containsExactly(30, 29, 28);
            assertThat(agg.topFlows(100, FlowOrder.BYTES)).hasSize(30).first()
                    .satisfies(f -> assertThat(f.bytesLastInterval()).isEqualTo(30L * LEN));

            send(p, 3, 100);
            send(p, 7, 1);
            agg.poll();
            List<Integer> changed = new ArrayList<>();
            agg.forEachChanged(f -> changed.add(f.key().sourcePort()));
            assertThat(changed).containsExactlyInAnyOrder(3, 7);
            assertThat(agg.topFlows(2, FlowOrder.BYTES)).extracting(f -> f.key().sourcePort())
                    .as("ranked by the last interval, not the totals").containsExactly(3, 7);
            assertThat(agg.topFlows(1, FlowOrder.PACKETS).getFirst().packets()).isEqualTo(103);

            send(p, 9, 5); // seen only by the drain
            agg.flush();
            for (int s = 1; s <= 30; s++) {
                long want = s + (s == 3 ? 100 : s == 7 ? 1 : s == 9 ? 5 : 0);
                assertThat(counted.get(s)).as("port %d", s).isEqualTo(want);
            }
            long sum = counted.values().stream().mapToLong(Long::longValue).sum();
            assertThat(agg.totals().flowTraffic()).isEqualTo(new Count(sum, sum * LEN));
            assertThat(out.stream().mapToLong(FinishedFlow::packets).sum()).isEqualTo(sum);
            assertThat(agg.activeCount()).isZero();
        }
    }
}
