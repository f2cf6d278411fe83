package io.packetlens.flow;

import io.packetlens.ebpf.MapType;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.EnumSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The flow program loads (the verifier accepts all three entry points) in every configuration, sized as asked. */
@KernelTest
class FlowProgramLoadTest {

    @ParameterizedTest
    @EnumSource(FlowConfig.TableKind.class)
    void loadsWithEveryEventOnAndOff(FlowConfig.TableKind kind) {
        FlowConfig quiet = FlowConfig.defaults().tableKind(kind).tableSize(1000);
        try (FlowProgram p = FlowProgram.load(quiet)) {
            assertThat(p.flowTable().maxEntries()).isEqualTo(1000);
            assertThat(p.flowTable().type()).isEqualTo(kind == FlowConfig.TableKind.SHARED ? MapType.HASH : MapType.PERCPU_HASH);
            assertThat(p.eventRing().maxEntries()).isEqualTo(4096);
            for (FlowProgram.Hook h : FlowProgram.Hook.values()) assertThat(p.program(h).id()).isPositive();
        }
        FlowConfig loud = quiet.events(EnumSet.allOf(EventKind.class)).sampleEvery(10);
        try (FlowProgram p = FlowProgram.load(loud)) {
            assertThat(p.eventRing().maxEntries()).isEqualTo(FlowConfig.DEFAULT_EVENT_RING_BYTES);
            for (FlowProgram.Hook h : FlowProgram.Hook.values()) assertThat(p.program(h).id()).isPositive();
        }
    }

    @Test
    void defaultTableHoldsSixtyFiveThousandFlows() {
        try (FlowProgram p = FlowProgram.load()) {
            assertThat(p.flowTable().maxEntries()).isEqualTo(65_536);
            assertThat(p.counters()).isEqualTo(LossCounters.ZERO);
        }
    }

    @Test
    void loadsOnlyTheHooksAsked() {
        try (FlowProgram p = FlowProgram.load(FlowConfig.defaults().tableSize(64).hooks(EnumSet.of(FlowProgram.Hook.XDP)))) {
            assertThat(p.object().programs().keySet()).containsExactly("flow_xdp");
            assertThat(p.program(FlowProgram.Hook.XDP).id()).isPositive();
            assertThatThrownBy(() -> p.program(FlowProgram.Hook.TC_INGRESS)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("without its TC_INGRESS entry point");
        }
        assertThatThrownBy(() -> FlowProgram.spec().retainPrograms(java.util.List.of("flow_xdp", "no_such_prog")))
                .isInstanceOf(io.packetlens.ebpf.BpfException.NotFoundException.class).hasMessageContaining("no_such_prog");
        assertThatThrownBy(() -> FlowConfig.defaults().hooks(EnumSet.noneOf(FlowProgram.Hook.class)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
