package io.packetlens.guard;

import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.btf.BtfType;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every offset and size of {@link GuardLayout} against the BTF clang wrote for packetlens_guard.h's structs. */
class GuardLayoutTest {
    @Test
    void offsetsAndSizesMatchTheCompiledObject() {
        Btf btf = GuardProgram.spec().btf();
        GuardLayout.sizes().forEach((name, size) -> {
            BtfType t = btf.findByName(BtfKind.STRUCT, name).orElseThrow(() -> new AssertionError("struct " + name + " not in the object's BTF"));
            assertThat(t.size()).as("sizeof(struct %s)", name).isEqualTo(size);
        });
        GuardLayout.members().forEach((name, members) -> {
            BtfType t = btf.findByName(BtfKind.STRUCT, name).orElseThrow();
            Map<String, Integer> actual = new LinkedHashMap<>();
            for (Btf.Member m : btf.members(t.id())) actual.put(m.name(), m.bitOffset() / 8);
            members.forEach((member, off) -> assertThat(actual.get(member)).as("offsetof(struct %s, %s)", name, member).isEqualTo(off));
        });
    }

    @Test
    void reasonSlotsAreDistinctAndWithinTheCounterArray() {
        assertThat(java.util.Arrays.stream(DropReason.values()).map(DropReason::slot).distinct().count()).isEqualTo(DropReason.values().length);
        assertThat(java.util.Arrays.stream(DropReason.values()).mapToInt(DropReason::slot).max().getAsInt()).isLessThan(DropReason.SLOTS);
        assertThat(GuardProgram.spec().map(GuardLayout.COUNTERS).maxEntries()).isEqualTo(DropReason.SLOTS);
    }
}
