package io.packetlens.ebpf;

import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.btf.BtfSanitizer;
import io.packetlens.ebpf.btf.BtfType;
import io.packetlens.ebpf.features.BtfKinds;
import io.packetlens.ebpf.features.KernelVersion;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * BTF for kernels that lack kinds: the probe finds none missing on a kernel of 6.0 or later; an object's BTF with
 * DECL_TAG, TYPE_TAG, FLOAT and global functions, rewritten as for a kernel without them, keeps every type id and
 * size, has none of them left, and the kernel still takes it (BPF_BTF_LOAD).
 */
@KernelTest
class BtfSanitizerTest {
    @Test
    void thisKernelTakesEveryKindAndASanitizedBtfStillLoads() {
        if (KernelVersion.current().atLeast(6, 0)) assertThat(BtfKinds.missing()).isEmpty();
        ObjectSpec spec = ObjectSpec.fromResource(BtfSanitizerTest.class, "/bpf/btf_kinds_test.bpf.o");
        Btf btf = spec.btf();
        assertThat(btf.types()).extracting(BtfType::kind).contains(BtfKind.DECL_TAG, BtfKind.TYPE_TAG, BtfKind.FLOAT);
        Set<Integer> all = Set.of(BtfKind.DECL_TAG, BtfKind.TYPE_TAG, BtfKind.FLOAT, BtfKind.ENUM64, BtfSanitizer.FUNC_GLOBAL);
        Btf old = BtfSanitizer.sanitize(btf, all);
        assertThat(old.types()).hasSameSizeAs(btf.types());
        assertThat(old.types()).extracting(BtfType::kind).doesNotContain(BtfKind.DECL_TAG, BtfKind.TYPE_TAG, BtfKind.FLOAT, BtfKind.ENUM64);
        for (BtfType t : btf.types()) {
            if (t.kind() == BtfKind.FLOAT) assertThat(old.sizeOf(t.id())).as("float keeps its size").isEqualTo(btf.sizeOf(t.id()));
            if (t.kind() == BtfKind.FUNC) assertThat(old.type(t.id()).vlen()).as("functions are static").isZero();
        }
        try (BtfHandle h = BtfHandle.load(old)) {
            assertThat(h.fd()).isPositive();
        }
        // without FUNC at all: functions become typedefs and prototypes enums, which the kernel also takes
        try (BtfHandle h = BtfHandle.load(BtfSanitizer.sanitize(btf, Set.of(BtfKind.FUNC, BtfKind.DECL_TAG, BtfKind.TYPE_TAG, BtfKind.FLOAT)))) {
            assertThat(h.fd()).isPositive();
        }
        try (BpfObject obj = spec.load()) {
            assertThat(obj.program("kinds").info().btfId()).as("the object itself loads with its own BTF here").isPositive();
        }
    }
}
