package io.packetlens.flow;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The aggregator's flow set (open-addressing index over inline key words) and the array form of the kernel's records. */
class FlowStatesTest {
    private static FlowKey key(int port) {
        return new FlowKey(InetAddress.ofLiteral("10.0.0.1"), InetAddress.ofLiteral("10.0.0.2"), port, 53, 17, 0, 2, Direction.INGRESS);
    }

    /** The key's words as a bulk copy of the kernel's buffer gives them, at an offset to catch base mix-ups. */
    private static int[] words(FlowKey k, int base) {
        int[] w = new int[base + FlowStates.WORDS];
        MemorySegment.copy(MemorySegment.ofArray(k.toBytes()), ValueLayout.JAVA_INT_UNALIGNED, 0, w, base, FlowStates.WORDS);
        return w;
    }

    @Test
    void addsFindsAndRemovesThroughGrowthAndCollisions() {
        FlowStates states = new FlowStates();
        Map<Integer, FlowState> live = new HashMap<>();
        Random r = new Random(7);
        for (int round = 0; round < 60_000; round++) {
            // ports 0..9999: the set grows past the first capacities, then churns around half full
            int port = r.nextInt(10_000);
            FlowState s = states.find(words(key(port), 3), 3);
            assertThat(s).isSameAs(live.get(port));
            if (s == null) {
                FlowState n = new FlowState(key(port));
                states.add(n, words(key(port), 5), 5);
                live.put(port, n);
            } else if (r.nextInt(3) == 0) {
                assertThat(states.get(s.slot)).isSameAs(s);
                states.removeAt(s.slot);
                live.remove(port);
            }
        }
        assertThat(states.size()).isEqualTo(live.size()).isGreaterThan(4000);
        for (int i = 0; i < states.size(); i++) {
            FlowState s = states.get(i);
            assertThat(s.slot).isEqualTo(i);
            assertThat(states.find(words(s.key, 0), 0)).isSameAs(s);
            assertThat(live.get(s.key.sourcePort())).isSameAs(s);
        }
        for (int port = 0; port < 10_000; port++) {
            assertThat(states.find(words(key(port), 1), 1)).isSameAs(live.get(port));
        }
        states.clear();
        assertThat(states.size()).isZero();
        assertThat(states.find(words(key(live.keySet().iterator().next()), 0), 0)).isNull();
    }

    @Test
    void storedKeysAreTheKernelsBytes() {
        FlowKey k = new FlowKey(InetAddress.ofLiteral("fd00::1"), InetAddress.ofLiteral("fd00::2"), 40000, 443, 6, 100, 7, Direction.EGRESS);
        FlowStates states = new FlowStates();
        states.add(new FlowState(key(1)), words(key(1), 0), 0);
        states.add(new FlowState(k), words(k, 2), 2);
        byte[] back = new byte[FlowKey.SIZE];
        states.storeKey(1, MemorySegment.ofArray(back), 0);
        assertThat(back).isEqualTo(k.toBytes());
        states.removeAt(0); // k moves to position 0
        states.storeKey(0, MemorySegment.ofArray(back), 0);
        assertThat(back).isEqualTo(k.toBytes());
        assertThat(states.find(words(k, 0), 0).key).isEqualTo(k);
        assertThat(states.find(words(key(1), 0), 0)).isNull();
    }

    @Test
    void keysReadBackFromTheKernelsBytesWithEveryFieldAtItsExtremes() {
        for (FlowKey k : new FlowKey[] {
                new FlowKey(InetAddress.ofLiteral("255.254.253.252"), InetAddress.ofLiteral("0.0.0.1"), 65535, 32768, 255, 4095,
                        Integer.MAX_VALUE, Direction.EGRESS),
                new FlowKey(InetAddress.ofLiteral("ffff::fffe"), InetAddress.ofLiteral("::1"), 1, 0xfffe, 58, 1, 0x01020304, Direction.INGRESS)}) {
            assertThat(FlowKey.read(k.toBytes())).isEqualTo(k);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment seg = arena.allocate(FlowKey.SIZE + 3);
                k.write(seg, 3);
                assertThat(FlowKey.read(seg, 3)).isEqualTo(k);
            }
        }
    }

    @Test
    void recordWordsReadEveryFieldOfOneAndOfPerCpuRecords() {
        FlowRecord a = new FlowRecord(5, 640, 1_000, 9_000, 60, 1500, 0x12, 46, true, 570);
        FlowRecord b = new FlowRecord(2, 200, 500, 2_000, 40, 100, 0x01, 10, false, 172);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(3L * FlowRecord.SIZE, 8);
            a.write(seg, 0);
            new FlowRecord(0, 0, 0, 0, 0, 0, 0, 0, false, 0).write(seg, FlowRecord.SIZE); // a CPU that saw nothing
            b.write(seg, 2L * FlowRecord.SIZE);
            long[] words = seg.toArray(ValueLayout.JAVA_LONG);

            FlowState one = new FlowState(key(1));
            one.read(words, 0, false, 1);
            assertThat(new FlowRecord(one.packets, one.bytes, one.firstNanos, one.lastNanos, one.minLength, one.maxLength,
                    one.tcpFlags, one.dscp, one.fragments, one.ipBytes)).isEqualTo(a);

            FlowState all = new FlowState(key(1));
            all.read(words, 0, true, 3);
            assertThat(new FlowRecord(all.packets, all.bytes, all.firstNanos, all.lastNanos, all.minLength, all.maxLength,
                    all.tcpFlags, all.dscp, all.fragments, all.ipBytes)).isEqualTo(a.merge(b));
            assertThat(all.dscp).as("the DSCP of the CPU that saw the first packet").isEqualTo(10);
        }
    }
}
