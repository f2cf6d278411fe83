package io.packetlens.ebpf;

import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Maps that hold maps and programs, filled from the object's {@code .values} initialisers: an array of maps whose
 * inner map is swapped from Java, a program array whose tail call runs, a callback through bpf_for_each_map_elem, and
 * a BPF_F_MMAPABLE array read and written from Java as memory, and a BPF timer with a spin lock in a map value.
 */
@KernelTest
class MapsOfMapsTest {
    private static final byte[] FRAME = new byte[64];

    private static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }

    private static long u64At0(BpfMap m) {
        return ByteBuffer.wrap(m.lookup(u32(0)).orElseThrow()).order(ByteOrder.nativeOrder()).getLong();
    }

    @Test
    void initialValuesTailCallsAndAnInnerMapSwappedFromJava() {
        ObjectSpec spec = ObjectSpec.fromResource(MapsOfMapsTest.class, "/bpf/maps_test.bpf.o");
        assertThat(spec.map("outer").innerMap()).isNotNull();
        assertThat(spec.map("outer").innerMap().type()).isEqualTo(MapType.ARRAY);
        assertThat(spec.map("outer").initialValues()).containsExactly(java.util.Map.entry(0, "inner_a"));
        assertThat(spec.map("jumps").initialValues()).containsExactly(java.util.Map.entry(1, "tail_target"));
        try (BpfObject obj = spec.load()) {
            BpfProgram entry = obj.program("entry");
            // jumps[1] holds tail_target, which drops; outer[0] holds inner_a, which counts
            assertThat(entry.testRun(TestRun.of(FRAME)).retval()).isEqualTo(XdpAction.DROP.ordinal());
            assertThat(u64At0(obj.map("inner_a"))).isEqualTo(1);
            assertThat(u64At0(obj.map("inner_b"))).isZero();

            obj.map("outer").update(u32(0), u32(obj.map("inner_b").fd()));
            entry.testRun(TestRun.of(FRAME).repeat(3));
            assertThat(u64At0(obj.map("inner_a"))).as("swapped out").isEqualTo(1);
            assertThat(u64At0(obj.map("inner_b"))).as("swapped in").isEqualTo(3);

            obj.map("jumps").delete(u32(1));
            assertThat(entry.testRun(TestRun.of(FRAME)).retval()).as("the tail call fails once its slot is empty").isEqualTo(XdpAction.PASS.ordinal());
        }
    }

    @Test
    void aCallbackSumsAnArrayThroughForEachMapElem() {
        ObjectSpec spec = ObjectSpec.fromResource(MapsOfMapsTest.class, "/bpf/maps_test.bpf.o");
        try (BpfObject obj = spec.load()) {
            BpfMap numbers = obj.map("numbers");
            for (int i = 0; i < 4; i++) numbers.update(u32(i), ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(10L + i).array());
            obj.program("sum_numbers").testRun(TestRun.of(FRAME));
            long got = obj.readLong(spec.variable("sum"));
            assertThat(got).isEqualTo(10 + 11 + 12 + 13);
        }
    }

    @Test
    void anMmapableArrayIsMemorySharedWithThePrograms() {
        ObjectSpec spec = ObjectSpec.fromResource(MapsOfMapsTest.class, "/bpf/maps_test.bpf.o");
        try (BpfObject obj = spec.load(); java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            BpfMap shared = obj.map("shared");
            var mem = shared.mmap(arena, true);
            assertThat(mem.byteSize()).isEqualTo(3 * 8);
            mem.set(java.lang.foreign.ValueLayout.JAVA_LONG, 8, 42L);
            obj.program("use_shared").testRun(TestRun.of(FRAME).repeat(5));
            assertThat(mem.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0)).as("counted by the program, read without a system call").isEqualTo(5);
            assertThat(mem.get(java.lang.foreign.ValueLayout.JAVA_LONG, 16)).as("what Java wrote, copied by the program").isEqualTo(42);
            // the same bytes through the map API
            assertThat(ByteBuffer.wrap(shared.lookup(u32(0)).orElseThrow()).order(ByteOrder.nativeOrder()).getLong()).isEqualTo(5);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> obj.map("numbers").mmap(arena, false))
                    .isInstanceOf(BpfException.class).hasMessageContaining("without BPF_F_MMAPABLE");
        }
    }

    @Test
    void aTimerInAMapValueFiresItsCallback() throws Exception {
        ObjectSpec spec = ObjectSpec.fromResource(MapsOfMapsTest.class, "/bpf/timer_test.bpf.o");
        try (BpfObject obj = spec.load()) {
            assertThat(obj.program("arm").testRun(TestRun.of(FRAME)).retval()).as("armed").isEqualTo(XdpAction.PASS.ordinal());
            BpfMap timers = obj.map("timers");
            // struct elem: bpf_timer (16 bytes), bpf_spin_lock (4), arms (u32 at 20), fired (u64 at 24)
            assertThat(ByteBuffer.wrap(timers.lookup(u32(0)).orElseThrow()).order(ByteOrder.nativeOrder()).getInt(20)).as("arms, under the lock").isEqualTo(1);
            long fired = 0;
            for (int i = 0; i < 200 && fired == 0; i++) {
                Thread.sleep(5);
                fired = ByteBuffer.wrap(timers.lookup(u32(0)).orElseThrow()).order(ByteOrder.nativeOrder()).getLong(24);
            }
            assertThat(fired).as("the callback ran once, 1 ms after arming").isEqualTo(1);
        }
    }
}
