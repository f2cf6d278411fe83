package io.packetlens.ebpf.events;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.channels.ChannelsProgram;
import io.packetlens.ebpf.channels.OnCpu;
import io.packetlens.ebpf.channels.SequenceCheck;
import io.packetlens.ebpf.perf.PerfBufferOptions;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.concurrent.atomic.AtomicBoolean;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One event source over either channel, chosen before load, with every loss readable. */
@KernelTest
class EventSourceTest {

    @Test
    void autoPicksTheRingBufferOnThisKernel() {
        ObjectSpec spec = ChannelsProgram.spec();
        EventChannels channels = EventChannels.configure(spec, EventChannelConfig.defaults());
        assertThat(channels.kind()).isEqualTo(ChannelKind.RING_BUFFER); // kernel 6.x has BPF_MAP_TYPE_RINGBUF
        assertThat(channels.channels()).containsExactly("events");
        assertThat(spec.map("events").type()).isEqualTo(MapType.RINGBUF);
        assertThat(spec.variable(EventChannels.PERFBUF_FLAG).getLong()).isZero();
    }

    @Test
    void forcingThePerfBufferRewritesTheMapAndSetsTheConstant() {
        ObjectSpec spec = ChannelsProgram.spec();
        EventChannels channels = EventChannels.configure(spec, EventChannelConfig.defaults().mode(EventChannelConfig.Mode.PERF_BUFFER));
        assertThat(channels.kind()).isEqualTo(ChannelKind.PERF_BUFFER);
        assertThat(spec.map("events").type()).isEqualTo(MapType.PERF_EVENT_ARRAY);
        assertThat(spec.map("events").keySize()).isEqualTo(4);
        assertThat(spec.variable(EventChannels.PERFBUF_FLAG).getLong()).isEqualTo(1);
    }

    @Test
    void configurationParsesChannelNames() {
        assertThat(EventChannelConfig.Mode.parse("perfbuf")).isEqualTo(EventChannelConfig.Mode.PERF_BUFFER);
        assertThat(EventChannelConfig.Mode.parse(" Ring ")).isEqualTo(EventChannelConfig.Mode.RING_BUFFER);
        assertThat(EventChannelConfig.Mode.parse("auto")).isEqualTo(EventChannelConfig.Mode.AUTO);
        assertThatThrownBy(() -> EventChannelConfig.Mode.parse("pipe")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EventChannelConfig.defaults().ringBytes(5000)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anObjectWithoutChannelsIsRefused() {
        ObjectSpec spec = ObjectSpec.fromResource(EventSourceTest.class, "/bpf/loader_test.bpf.o");
        assertThatThrownBy(() -> EventChannels.configure(spec, EventChannelConfig.defaults())).isInstanceOf(BpfException.NotFoundException.class);
    }

    @ParameterizedTest
    @EnumSource(EventChannelConfig.Mode.class)
    void theSameProgramDeliversExactSequencesOverEitherChannelAndReportsItsLosses(EventChannelConfig.Mode mode) throws Exception {
        ObjectSpec spec = ChannelsProgram.spec();
        EventChannels channels = EventChannels.configure(spec, EventChannelConfig.defaults().mode(mode).ringBytes(16 * 1024)
                .perf(PerfBufferOptions.defaults().pagesPerCpu(4).watermarkFraction(4)));
        int perCpu = 100_000;
        SequenceCheck check = new SequenceCheck(2);
        try (ChannelsProgram prog = ChannelsProgram.of(spec);
             EventSource source = channels.open(prog.object(), e -> check.accept(e.get(JAVA_INT_UNALIGNED, 8), e.get(JAVA_LONG_UNALIGNED, 0)))) {
            assertThat(source.kind()).isEqualTo(mode == EventChannelConfig.Mode.PERF_BUFFER ? ChannelKind.PERF_BUFFER : ChannelKind.RING_BUFFER);
            AtomicBoolean done = new AtomicBoolean();
            Thread consumer = new Thread(() -> {
                while (!done.get()) source.read(20);
                source.poll();
            });
            consumer.start();
            Thread p0 = OnCpu.start(0, () -> { for (int i = 0; i < 10; i++) prog.emitFixed(perCpu / 10, 0); });
            Thread p1 = OnCpu.start(1, () -> { for (int i = 0; i < 10; i++) prog.emitFixed(perCpu / 10, 0); });
            OnCpu.join(p0);
            OnCpu.join(p1);
            done.set(true);
            consumer.join();
            LossCounters losses = source.losses();
            for (int cpu = 0; cpu < 2; cpu++) check.assertExact(cpu, perCpu, losses.noSpace()[cpu]);
            assertThat(losses.delivered() + losses.total()).isEqualTo(2L * perCpu);
            assertThat(losses.ringFull()).isEqualTo(losses.total());
            assertThat(losses.backlogBytes()).isZero();
            assertThat(losses.peakBacklogBytes()).isBetween(0L, losses.capacityBytes());
            if (source.kind() == ChannelKind.PERF_BUFFER) assertThat(losses.perfLostTotal()).isLessThanOrEqualTo(losses.ringFull());
            var metrics = losses.metrics();
            String kind = source.kind().name().toLowerCase();
            assertThat(metrics).containsEntry("packetlens_events_delivered_total{channel=\"events\",kind=\"" + kind + "\"}", losses.delivered());
            assertThat(metrics).containsEntry("packetlens_events_lost_total{channel=\"events\",kind=\"" + kind + "\",reason=\"ring_full\",cpu=\"all\"}", losses.ringFull());
            System.out.println(mode + ": " + losses);
        }
    }

    @Test
    void aFullRingIsCountedAsRingFullAndTheBacklogIsVisible() throws Exception {
        ObjectSpec spec = ChannelsProgram.spec();
        EventChannels channels = EventChannels.configure(spec, EventChannelConfig.defaults().mode(EventChannelConfig.Mode.RING_BUFFER).ringBytes(4096));
        try (ChannelsProgram prog = ChannelsProgram.of(spec); EventSource source = channels.open(prog.object(), e -> { })) {
            OnCpu.run(0, () -> prog.emitFixed(200, 0));
            LossCounters before = source.losses();
            assertThat(before.backlogBytes()).isEqualTo(102 * 40L);
            assertThat(before.noSpace()[0]).isEqualTo(98);
            assertThat(source.poll()).isEqualTo(102);
            LossCounters after = source.losses();
            assertThat(after.backlogBytes()).isZero();
            assertThat(after.peakBacklogBytes()).isEqualTo(102 * 40L);
            assertThat(after.delivered()).isEqualTo(102);
            assertThat(after.metrics()).containsEntry("packetlens_events_lost_total{channel=\"events\",kind=\"ring_buffer\",reason=\"ring_full\",cpu=\"0\"}", 98L);
        }
    }

    @Test
    void anObjectBuiltForThePerfBufferOnlyKeepsItsChannel() throws Exception {
        ObjectSpec spec = ObjectSpec.fromResource(EventSourceTest.class, "/bpf/channels_test_perfbuf.bpf.o");
        assertThat(spec.variables()).doesNotContainKey(EventChannels.PERFBUF_FLAG);
        assertThat(spec.map("events").type()).isEqualTo(MapType.PERF_EVENT_ARRAY);
        assertThatThrownBy(() -> EventChannels.configure(ObjectSpec.fromResource(EventSourceTest.class, "/bpf/channels_test_perfbuf.bpf.o"),
                EventChannelConfig.defaults().mode(EventChannelConfig.Mode.RING_BUFFER)))
                .isInstanceOf(BpfException.class).hasMessageContaining("PL_USE_PERFBUF");
        EventChannels channels = EventChannels.configure(spec, EventChannelConfig.defaults());
        assertThat(channels.kind()).isEqualTo(ChannelKind.PERF_BUFFER);
        java.util.List<Long> seqs = new java.util.ArrayList<>();
        try (ChannelsProgram prog = ChannelsProgram.of(spec); EventSource source = channels.open(prog.object(), e -> seqs.add(e.get(JAVA_LONG_UNALIGNED, 0)))) {
            OnCpu.run(1, () -> prog.emitFixed(5, ChannelsProgram.DISCARD_ODD));
            assertThat(source.poll()).isEqualTo(3);
            assertThat(seqs).containsExactly(0L, 2L, 4L);
            assertThat(source.losses().total()).isZero();
        }
    }
}
