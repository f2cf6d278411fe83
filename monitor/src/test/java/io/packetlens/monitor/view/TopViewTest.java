package io.packetlens.monitor.view;

import io.packetlens.flow.Count;
import io.packetlens.flow.FlowAggregator;
import io.packetlens.flow.LossCounters;
import io.packetlens.monitor.Flows;
import io.packetlens.monitor.MonitorSnapshot;
import io.packetlens.monitor.config.MonitorConfig;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TopViewTest {
    @Test
    void rendersTheBusiestFlowsAsText() {
        var flows = List.of(
                Flows.active(Flows.key("10.0.0.1", "10.0.0.2", 40000, 443, 6), 1000, 1_200_000, 100, 120_000),
                Flows.active(Flows.key("fd00:199::1", "fd00:199::2", 5353, 53, 17), 50, 5000, 10, 1000),
                Flows.active(Flows.key("10.0.0.3", "10.0.0.2", 0, 8 << 8, 1), 5, 420, 1, 84));
        var totals = new FlowAggregator.Totals(7, new Count(1055, 1_205_420), 4, 3, new Count(2, 120),
                new LossCounters(new Count(3, 180), Count.ZERO, Count.ZERO, Count.ZERO));
        var s = new MonitorSnapshot(Instant.EPOCH, 1.0, flows, Map.of(), totals, 65536, 1);
        String text = TopView.render(s, new MonitorConfig.View(2, MonitorConfig.View.SortBy.BYTES), i -> "eth" + (i - 2));
        assertThat(text).isEqualTo("""
                packetlens flows   3 active / 65536 table   7 flows seen   1060 packets   1.21M bytes
                losses: table full 3 pkts, other table full 0 pkts, events lost 0   alerts 1
                #   source                                    destination                               proto   iface/dir         pkt/s      bit/s    packets      bytes
                1   10.0.0.1:40000                            10.0.0.2:443                              tcp     eth0/in             100     960.0k       1000      1.20M
                2   [fd00:199::1]:5353                        [fd00:199::2]:53                          udp     eth0/in              10       8000         50       5000
                """);
        String byPackets = TopView.render(s, new MonitorConfig.View(3, MonitorConfig.View.SortBy.PACKETS), i -> "eth0");
        assertThat(byPackets.lines().skip(3).map(l -> l.substring(0, 20).trim()).toList())
                .containsExactly("1   10.0.0.1:40000", "2   [fd00:199::1]:53", "3   10.0.0.3");
    }

    @Test
    void aTunnelsInnerFlowSaysWhichTunnelAtTheEndOfItsRow() {
        var k = new io.packetlens.flow.FlowKey(java.net.InetAddress.ofLiteral("10.242.0.1"), java.net.InetAddress.ofLiteral("10.242.0.2"),
                5000, 9000, 17, 0, 2, io.packetlens.flow.Direction.INGRESS, io.packetlens.flow.Tunnel.vxlan(42));
        var totals = new FlowAggregator.Totals(1, new Count(20, 3840), 1, 1, Count.ZERO,
                new LossCounters(Count.ZERO, Count.ZERO, Count.ZERO, Count.ZERO));
        var s = new MonitorSnapshot(Instant.EPOCH, 1.0, List.of(Flows.active(k, 20, 3840, 20, 3840)), Map.of(), totals, 65536, 0);
        String row = TopView.render(s, new MonitorConfig.View(5, MonitorConfig.View.SortBy.BYTES), i -> "veth0").lines().skip(3).findFirst().orElseThrow();
        assertThat(row).startsWith("1   10.242.0.1:5000").endsWith("      3840  in vxlan:42");
    }
}
