package io.packetlens.ebpf.poll;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.MapSpec;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.channels.ChannelsProgram;
import io.packetlens.ebpf.channels.OnCpu;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** Periodic snapshots of maps by batch lookup, and the deltas between them. */
@KernelTest
class MapPollerTest {

    private static byte[] u64s(long... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) b.putLong(x);
        return b.array();
    }

    @Test
    void deltasOfAHashMapShowAddedRemovedAndChangedKeys() {
        try (BpfMap map = BpfMap.create(MapSpec.of("poll_hash", MapType.HASH, 4, 16, 64)); MapPoller poller = new MapPoller(map, 8)) {
            for (int k = 0; k < 20; k++) map.update(MapKey.ofInt(k).bytes(), u64s(k, 10L * k));
            Delta first = poller.poll();
            assertThat(first.added()).hasSize(20);
            assertThat(first.delta(MapKey.ofInt(7))).containsExactly(7, 70);

            map.update(MapKey.ofInt(7).bytes(), u64s(9, 100));
            map.delete(MapKey.ofInt(3).bytes());
            map.update(MapKey.ofInt(40).bytes(), u64s(1, 1));
            Delta second = poller.poll();
            assertThat(second.added()).containsExactly(MapKey.ofInt(40));
            assertThat(second.removed()).containsExactly(MapKey.ofInt(3));
            assertThat(second.changed()).containsExactly(MapKey.ofInt(7));
            assertThat(second.delta(MapKey.ofInt(7))).containsExactly(2, 30);
            assertThat(second.delta(MapKey.ofInt(3), 1)).isEqualTo(-30);
            assertThat(second.current().size()).isEqualTo(20);
            assertThat(poller.poll().changed()).isEmpty();
        }
    }

    @Test
    void perCpuCountersWrittenByAProgramAreSummedAcrossCpus() throws Exception {
        try (ChannelsProgram prog = ChannelsProgram.ring(64 * 1024); MapPoller poller = new MapPoller(prog.object().map("seqs"))) {
            poller.poll();
            OnCpu.run(0, () -> prog.emitFixed(100, 0));
            OnCpu.run(1, () -> prog.emitFixed(250, 0));
            Delta d = poller.poll();
            assertThat(d.delta(MapKey.ofInt(0), 0)).isEqualTo(350);
            assertThat(d.current().perCpu(MapKey.ofInt(0), 0)).startsWith(100, 250);
            assertThat(d.ratePerSecond(MapKey.ofInt(0), 0)).isPositive();
        }
    }

    @Test
    void pollsPeriodicallyUntilClosed() throws Exception {
        try (BpfMap map = BpfMap.create(MapSpec.of("poll_arr", MapType.ARRAY, 4, 8, 4))) {
            List<Delta> deltas = new CopyOnWriteArrayList<>();
            MapPoller poller = new MapPoller(map);
            poller.start(Duration.ofMillis(20), deltas::add);
            for (int i = 1; i <= 10; i++) {
                map.update(MapKey.ofInt(1).bytes(), u64s(i));
                Thread.sleep(15);
            }
            // until the poller has seen the last update (a loaded machine can hold its thread back)
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (deltas.stream().mapToLong(d -> d.delta(MapKey.ofInt(1), 0)).sum() < 10 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            poller.close();
            int seen = deltas.size();
            Thread.sleep(60);
            assertThat(deltas).hasSize(seen);
            assertThat(seen).isGreaterThanOrEqualTo(5);
            assertThat(poller.failure()).isNull();
            // the deltas add up to the final value: nothing missed between polls
            long sum = deltas.stream().mapToLong(d -> d.delta(MapKey.ofInt(1), 0)).sum();
            assertThat(sum).isEqualTo(10);
            assertThat(deltas.getFirst().added()).hasSize(4);
        }
    }
}
