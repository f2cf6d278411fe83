package io.packetlens.ebpf;

import com.fasterxml.jackson.databind.JsonNode;
import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.btf.BtfType;
import io.packetlens.ebpf.cpu.Cpus;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Codec#ofRecord} layouts against the C compiler's (the BTF of codec_test.bpf.c), byte order,
 * padding and errors; then {@link TypedMap} on maps of those structs, checked by a BPF program and by bpftool.
 */
class CodecTest {
    record Mixed(byte a, long b) {}
    record Tail(long a, byte b) {}
    record Inner(short x, int y) {}
    record Outer(byte tag, Inner in, @Codec.Size(6) byte[] mac, long n, @Codec.BigEndian short portBe) {}
    record FlowKey(@Codec.BigEndian int saddr, @Codec.BigEndian int daddr, @Codec.BigEndian short sport,
                   @Codec.BigEndian short dport, byte proto) {}

    static final FlowKey DNS = new FlowKey(0x0a000001, 0x0a000002, (short) 40000, (short) 53, (byte) 17);

    static Outer outer(int i) {
        return new Outer((byte) (0x70 + i), new Inner((short) (0x1234 + i), 0x0badf00d + i),
                new byte[] {2, 0, 0, 0, 0, (byte) i}, 0x0102030405060708L + i, (short) (8000 + i));
    }

    @Test
    void cAlignmentAndPadding() {
        Codec<Mixed> mixed = Codec.ofRecord(Mixed.class);
        assertThat(mixed.size()).isEqualTo(16);
        assertThat(mixed.alignment()).isEqualTo(8);
        assertThat(Codec.ofRecord(Tail.class).size()).isEqualTo(16);
        assertThat(Codec.ofRecord(Inner.class).size()).isEqualTo(8);
        assertThat(Codec.ofRecord(Inner.class).alignment()).isEqualTo(4);
        assertThat(Codec.ofRecord(Outer.class).size()).isEqualTo(40);
        assertThat(Codec.ofRecord(FlowKey.class).size()).isEqualTo(16);
        record Bytes(@Codec.Size(3) byte[] b, byte c) {}
        assertThat(Codec.ofRecord(Bytes.class).size()).isEqualTo(4);
        assertThat(Codec.ofRecord(Bytes.class).alignment()).isEqualTo(1);
        record Empty() {}
        assertThat(Codec.ofRecord(Empty.class).size()).isZero();

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(16);
            s.fill((byte) 0xff); // padding must come out zero: hash keys compare every byte
            mixed.write(new Mixed((byte) 1, 0x1122334455667788L), s, 0);
            assertThat(s.toArray(JAVA_BYTE)).containsExactly(1, 0, 0, 0, 0, 0, 0, 0,
                    0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11);
            assertThat(mixed.read(s, 0)).isEqualTo(new Mixed((byte) 1, 0x1122334455667788L));
        }
    }

    @Test
    void bigEndianComponentsAreInNetworkOrder() {
        Codec<FlowKey> c = Codec.ofRecord(FlowKey.class);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(c.size());
            c.write(DNS, s, 0);
            assertThat(s.toArray(JAVA_BYTE)).containsExactly(10, 0, 0, 1, 10, 0, 0, 2,
                    (byte) 0x9c, 0x40, 0, 53, 17, 0, 0, 0);
            assertThat(c.read(s, 0)).isEqualTo(DNS);
        }
    }

    @Test
    void nestedRecordsAndByteArraysRoundTrip() {
        Codec<Outer> c = Codec.ofRecord(Outer.class);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(c.size() * 3L);
            for (int i = 0; i < 3; i++) c.write(outer(i), s, (long) i * c.size());
            for (int i = 0; i < 3; i++) assertSameOuter(c.read(s, (long) i * c.size()), outer(i));
        }
    }

    @Test
    void everyPrimitiveKindRoundTrips() {
        record All(boolean z, byte b, short s, int i, long l, float f, double d) {}
        Codec<All> c = Codec.ofRecord(All.class);
        assertThat(c.size()).isEqualTo(32); // z b s s | i i i i | l x8 | f x4 pad x4 | d x8
        All v = new All(true, (byte) -1, Short.MIN_VALUE, -7, Long.MAX_VALUE, 1.5f, Math.PI);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(c.size());
            c.write(v, s, 0);
            assertThat(c.read(s, 0)).isEqualTo(v);
        }
    }

    @Test
    void unusableRecordsAreRefusedWithTheComponentNamed() {
        record NoSize(byte[] mac) {}
        assertThatThrownBy(() -> Codec.ofRecord(NoSize.class)).isInstanceOf(BpfException.class)
                .hasMessageContaining("NoSize.mac").hasMessageContaining("@Codec.Size");
        record Text(String s) {}
        assertThatThrownBy(() -> Codec.ofRecord(Text.class)).isInstanceOf(BpfException.class)
                .hasMessageContaining("Text.s").hasMessageContaining("java.lang.String");
        Codec<Outer> c = Codec.ofRecord(Outer.class);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(c.size());
            Outer shortMac = new Outer((byte) 0, new Inner((short) 0, 0), new byte[5], 0, (short) 0);
            assertThatThrownBy(() -> c.write(shortMac, s, 0)).isInstanceOf(BpfException.class)
                    .hasMessageContaining("6").hasMessageContaining("5");
        }
    }

    /** The codec puts every field where clang put the C member, and zeroes every byte in between. */
    @Test
    void layoutsMatchTheCCompilersBtf() {
        Btf btf = TestObjects.codecTest().btf();
        assertLayoutMatches(btf, "mixed", new Mixed((byte) 0x5a, 0x1122334455667788L));
        assertLayoutMatches(btf, "tail", new Tail(-2L, (byte) 0x33));
        assertLayoutMatches(btf, "inner", new Inner((short) 0x4321, 0x76543210));
        assertLayoutMatches(btf, "outer", outer(9));
        assertLayoutMatches(btf, "flow_key", DNS);
    }

    @SuppressWarnings("unchecked")
    private static <R extends Record> void assertLayoutMatches(Btf btf, String struct, R value) {
        BtfType t = btf.findByName(BtfKind.STRUCT, struct).orElseThrow();
        Codec<R> c = Codec.ofRecord((Class<R>) value.getClass());
        assertThat(c.size()).as("size of struct %s", struct).isEqualTo(t.size());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(c.size());
            s.fill((byte) 0xee);
            c.write(value, s, 0);
            BitSet covered = new BitSet();
            compare(btf, t, value, s, 0, covered);
            for (int i = covered.nextClearBit(0); i < c.size(); i = covered.nextClearBit(i + 1)) {
                assertThat(s.get(JAVA_BYTE, i)).as("padding byte %d of %s", i, struct).isZero();
            }
        }
    }

    private static void compare(Btf btf, BtfType struct, Record value, MemorySegment s, long base, BitSet covered) {
        List<Btf.Member> members = btf.members(struct.id());
        RecordComponent[] comps = value.getClass().getRecordComponents();
        assertThat(members).hasSameSizeAs(comps);
        for (int i = 0; i < comps.length; i++) {
            Btf.Member m = members.get(i);
            assertThat(comps[i].getName().toLowerCase()).isEqualTo(m.name().replace("_", ""));
            long off = base + m.bitOffset() / 8;
            Object v;
            try {
                comps[i].getAccessor().setAccessible(true);
                v = comps[i].getAccessor().invoke(value);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
            BtfType mt = btf.resolve(m.type());
            int size = (int) btf.sizeOf(mt.id());
            String where = struct.name() + "." + m.name() + " at " + off;
            switch (mt.kind()) {
                case BtfKind.STRUCT -> compare(btf, mt, (Record) v, s, off, covered);
                case BtfKind.ARRAY -> {
                    assertThat(s.asSlice(off, size).toArray(JAVA_BYTE)).as(where).isEqualTo((byte[]) v);
                    covered.set((int) off, (int) off + size);
                }
                case BtfKind.INT -> {
                    byte[] raw = s.asSlice(off, size).toArray(JAVA_BYTE);
                    boolean be = comps[i].isAnnotationPresent(Codec.BigEndian.class);
                    long got = 0;
                    for (int b = 0; b < size; b++) got |= (raw[be ? size - 1 - b : b] & 0xffL) << (8 * b);
                    long mask = size == 8 ? -1L : (1L << (8 * size)) - 1;
                    assertThat(got).as(where).isEqualTo(((Number) v).longValue() & mask);
                    covered.set((int) off, (int) off + size);
                }
                default -> throw new AssertionError("unexpected BTF kind " + mt.kind() + " for " + where);
            }
        }
    }

    private static void assertSameOuter(Outer got, Outer want) {
        assertThat(got.tag()).isEqualTo(want.tag());
        assertThat(got.in()).isEqualTo(want.in());
        assertThat(got.mac()).isEqualTo(want.mac());
        assertThat(got.n()).isEqualTo(want.n());
        assertThat(got.portBe()).isEqualTo(want.portBe());
    }

    @Test
    @KernelTest
    void typedMapOperations() throws Exception {
        try (BpfObject obj = TestObjects.codecTest().load()) {
            TypedMap<Integer, Outer> m = obj.map("outer_map").typed(Codec.U32, Codec.ofRecord(Outer.class));
            for (int i = 0; i < 5; i++) m.put(i, outer(i));
            m.put(2, outer(7), UpdateFlag.EXIST);
            assertThatThrownBy(() -> m.put(3, outer(8), UpdateFlag.NOEXIST)).isInstanceOf(BpfException.AlreadyExistsException.class);
            assertSameOuter(m.get(2).orElseThrow(), outer(7));
            assertThat(m.get(99)).isEmpty();
            assertThat(m.remove(4)).isTrue();
            assertThat(m.remove(4)).isFalse();
            Map<Integer, Outer> all = m.entries();
            assertThat(all).containsOnlyKeys(0, 1, 2, 3);
            assertSameOuter(all.get(3), outer(3));
            assertSameOuter(all.get(2), outer(7));
            assertThat(m.map()).isSameAs(obj.map("outer_map"));

            // bpftool formats the values with the object's BTF: field by field as C sees them
            JsonNode dump = Bpftool.json("map", "dump", "id", String.valueOf(m.map().id()));
            Map<Integer, JsonNode> byKey = new HashMap<>();
            for (JsonNode e : dump) byKey.put(e.get("formatted").get("key").asInt(), e.get("formatted").get("value"));
            assertThat(byKey).containsOnlyKeys(0, 1, 2, 3);
            JsonNode v = byKey.get(3);
            assertThat(v.get("tag").asInt()).isEqualTo(0x73);
            assertThat(v.get("in").get("x").asInt()).isEqualTo(0x1234 + 3);
            assertThat(v.get("in").get("y").asLong()).isEqualTo(0x0badf00d + 3);
            List<Integer> mac = new ArrayList<>();
            v.get("mac").forEach(b -> mac.add(b.asInt()));
            assertThat(mac).containsExactly(2, 0, 0, 0, 0, 3);
            assertThat(v.get("n").asLong()).isEqualTo(0x0102030405060708L + 3);
            assertThat(v.get("port_be").asInt()).isEqualTo(Short.toUnsignedInt(Short.reverseBytes((short) 8003)));
        }
    }

    @Test
    @KernelTest
    void aKeyWrittenFromJavaIsTheKeyTheProgramBuildsInC() {
        try (BpfObject obj = TestObjects.codecTest().load()) {
            TypedMap<FlowKey, Long> flows = obj.map("flows").typed(Codec.ofRecord(FlowKey.class), Codec.U64);
            flows.put(DNS, 0L);
            flows.put(new FlowKey(0x0a000001, 0x0a000002, (short) 40000, (short) 54, (byte) 17), 0L);
            obj.program("xdp_count_flow").testRun(TestRun.of(Frames.arp()).repeat(3));
            assertThat(flows.get(DNS)).contains(3L);
            assertThat(flows.entries()).containsEntry(DNS, 3L).hasSize(2);
        }
    }

    @Test
    @KernelTest
    void perCpuValuesOfARecordType() {
        int cpus = Cpus.possible();
        try (BpfObject obj = TestObjects.codecTest().load()) {
            TypedMap<FlowKey, Inner> m = obj.map("percpu_flows").typed(Codec.ofRecord(FlowKey.class), Codec.ofRecord(Inner.class));
            List<Inner> values = new ArrayList<>();
            for (int cpu = 0; cpu < cpus; cpu++) values.add(new Inner((short) cpu, cpu * 1000));
            m.putPerCpu(DNS, values);
            assertThat(m.getPerCpu(DNS)).containsExactlyElementsOf(values);
            assertThat(m.entriesPerCpu()).containsOnlyKeys(DNS);
            m.put(DNS, new Inner((short) 1, 2));
            assertThat(m.getPerCpu(DNS)).hasSize(cpus).containsOnly(new Inner((short) 1, 2));
            // a codec of the wrong size is refused when the view is made, naming the map
            assertThatThrownBy(() -> obj.map("percpu_flows").typed(Codec.ofRecord(FlowKey.class), Codec.U32))
                    .isInstanceOf(BpfException.class).hasMessageContaining("percpu_flows")
                    .hasMessageContaining("value codec is 4 bytes").hasMessageContaining("value size is 8");
            assertThatThrownBy(() -> obj.map("percpu_flows").typed(Codec.U64, Codec.ofRecord(Inner.class)))
                    .isInstanceOf(BpfException.class).hasMessageContaining("key codec is 8 bytes, key size is 16");
            assertThatThrownBy(() -> obj.map("outer_map").typed(Codec.U32, Codec.ofRecord(Outer.class)).getPerCpu(1))
                    .isInstanceOf(BpfException.class).hasMessageContaining("not per-CPU");
        }
    }
}
