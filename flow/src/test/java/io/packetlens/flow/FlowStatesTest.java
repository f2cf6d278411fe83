package io.packetlens.flow;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The aggregator's flow set and the array form of the kernel's keys and records. */
class FlowStatesTest {
    private static FlowKey key(int port) {
        return new FlowKey(InetAddress.ofLiteral("10.0.0.1"), InetAddress.ofLiteral("10.0.0.2"), port, 53, 17, 0, 2, Direction.INGRESS);
    }

    private static RawKey raw(FlowKey k) {
        return new RawKey().load(MemorySegment.ofArray(k.toBytes()), 0);
    }

    @Test
    void removalKeepsTheArrayAndTheIndexInStep() {
        FlowStates states = new FlowStates();
        Set<Integer> live = new HashSet<>();
        Random r = new Random(7);
        for (int round = 0; round < 5000; round++) {
            int port = r.nextInt(3000);
            FlowState s = states.find(raw(key(port)));
            if (s == null) {
                states.add(new FlowState(raw(key(port)), key(port)));
                live.add(port);
            } else {
                assertThat(states.get(s.slot)).isSameAs(s);
                states.removeAt(s.slot);
                live.remove(port);
            }
        }
        assertThat(states.size()).isEqualTo(live.size());
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < states.size(); i++) {
            FlowState s = states.get(i);
            assertThat(s.slot).isEqualTo(i);
            assertThat(states.find(s.raw)).isSameAs(s);
            seen.add(s.key.sourcePort());
        }
        assertThat(seen).isEqualTo(live);
        states.clear();
        assertThat(states.size()).isZero();
        assertThat(states.find(raw(key(live.iterator().next())))).isNull();
    }

    @Test
    void rawKeysFromArraysAndSegmentsAgreeAndWriteBackTheSameBytes() {
        FlowKey k = new FlowKey(InetAddress.ofLiteral("fd00::1"), InetAddress.ofLiteral("fd00::2"), 40000, 443, 6, 100, 7, Direction.EGRESS);
        byte[] bytes = k.toBytes();
        int[] words = new int[RawKey.WORDS + 3];
        MemorySegment.copy(MemorySegment.ofArray(bytes), ValueLayout.JAVA_INT_UNALIGNED, 0, words, 3, RawKey.WORDS);
        RawKey fromArray = new RawKey().load(words, 3);
        RawKey fromSegment = raw(k);
        assertThat(fromArray).isEqualTo(fromSegment).hasSameHashCodeAs(fromSegment);
        assertThat(fromArray).isNotEqualTo(raw(key(1)));
        byte[] back = new byte[FlowKey.SIZE];
        fromArray.store(MemorySegment.ofArray(back), 0);
        assertThat(back).isEqualTo(bytes);
    }

    @Test
    void recordWordsReadEveryFieldOfOneAndOfPerCpuRecords() {
        FlowRecord a = new FlowRecord(5, 640, 1_000, 9_000, 60, 1500, 0x12, 46, true);
        FlowRecord b = new FlowRecord(2, 200, 500, 2_000, 40, 100, 0x01, 10, false);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(3L * FlowRecord.SIZE, 8);
            a.write(seg, 0);
            new FlowRecord(0, 0, 0, 0, 0, 0, 0, 0, false).write(seg, FlowRecord.SIZE); // a CPU that saw nothing
            b.write(seg, 2L * FlowRecord.SIZE);
            long[] words = seg.toArray(ValueLayout.JAVA_LONG);

            FlowState one = new FlowState(raw(key(1)), key(1));
            one.read(words, 0, false, 1);
            assertThat(new FlowRecord(one.packets, one.bytes, one.firstNanos, one.lastNanos, one.minLength, one.maxLength,
                    one.tcpFlags, one.dscp, one.fragments)).isEqualTo(a);

            FlowState all = new FlowState(raw(key(1)), key(1));
            all.read(words, 0, true, 3);
            assertThat(new FlowRecord(all.packets, all.bytes, all.firstNanos, all.lastNanos, all.minLength, all.maxLength,
                    all.tcpFlags, all.dscp, all.fragments)).isEqualTo(a.merge(b));
            assertThat(all.dscp).as("the DSCP of the CPU that saw the first packet").isEqualTo(10);
        }
    }
}
