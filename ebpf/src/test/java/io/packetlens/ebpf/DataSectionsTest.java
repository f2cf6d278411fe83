package io.packetlens.ebpf;

import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;


import static org.assertj.core.api.Assertions.assertThat;

/** Global data in several sections (.rodata, .rodata.config, .data, .data.stats, .bss): one map each, constants set from Java. */
@KernelTest
class DataSectionsTest {
    private static long read(ObjectSpec spec, BpfObject obj, String variable) {
        return obj.readLong(spec.variable(variable));
    }

    @Test
    void eachSectionIsItsOwnMapAndTheProgramReadsTheRightOne() {
        ObjectSpec spec = ObjectSpec.fromResource(DataSectionsTest.class, "/bpf/sections_data_test.bpf.o");
        assertThat(spec.maps().keySet()).contains(".rodata", ".rodata.config", ".data", ".data.stats", ".bss");
        assertThat(spec.variable("config_limit").map().name()).isEqualTo(".rodata.config");
        assertThat(spec.variable("config_limit").isConstant()).isTrue();
        assertThat(spec.variable("stats_total").map().name()).isEqualTo(".data.stats");
        spec.variable("plain_const").set(5);
        spec.variable("config_limit").set(7);
        try (BpfObject obj = spec.load()) {
            obj.program("copy_sections").testRun(TestRun.of(new byte[64]));
            assertThat(read(spec, obj, "plain_data")).isEqualTo(5);
            assertThat(read(spec, obj, "stats_total")).isEqualTo(44 + 7);
            assertThat(read(spec, obj, "zeroed")).isEqualTo(12);
        }
    }
}
