package io.packetlens.monitor.alert;

import io.packetlens.flow.ActiveFlow;
import io.packetlens.monitor.Flows;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AlertEngineTest {
    private final List<Alert> seen = new ArrayList<>();
    private final Instant t0 = Instant.parse("2026-11-25T12:00:00Z");

    @Test
    void sourcePpsFiresOnceWhileTheFloodLastsAndStaysSilentOnNormalTraffic() {
        AlertEngine e = new AlertEngine(List.of(new AlertRule.SourcePps(1000)), seen::add);
        List<ActiveFlow> normal = List.of(Flows.active(Flows.key("10.0.0.1", "10.0.0.2", 1, 80, 6), 500, 50_000, 500, 50_000),
                Flows.active(Flows.key("10.0.0.1", "10.0.0.3", 2, 80, 6), 400, 40_000, 400, 40_000));
        assertThat(e.evaluate(normal, 2, 1.0, t0)).isEmpty();
        List<ActiveFlow> flood = List.of(Flows.active(Flows.key("10.0.0.9", "10.0.0.2", 1, 80, 17), 5000, 1, 1500, 1),
                Flows.active(Flows.key("10.0.0.9", "10.0.0.3", 1, 80, 17), 5000, 1, 1500, 1));
        assertThat(e.evaluate(flood, 0, 1.0, t0.plusSeconds(1))).singleElement()
                .satisfies(a -> {
                    assertThat(a.rule()).isEqualTo("source-pps");
                    assertThat(a.subject()).isEqualTo("10.0.0.9");
                    assertThat(a.value()).isEqualTo(3000);
                });
        assertThat(e.evaluate(flood, 0, 1.0, t0.plusSeconds(2))).isEmpty();  // still firing: no repeat
        assertThat(e.evaluate(normal, 0, 1.0, t0.plusSeconds(3))).isEmpty();
        assertThat(e.evaluate(flood, 0, 1.0, t0.plusSeconds(4))).hasSize(1); // a new episode
        assertThat(seen).hasSize(2);
        assertThat(e.fired()).isEqualTo(2);
    }

    @Test
    void newFlowRate() {
        AlertEngine e = new AlertEngine(List.of(new AlertRule.NewFlowRate(100, Duration.ofSeconds(2))), seen::add);
        assertThat(e.evaluate(List.of(), 150, 2.0, t0)).isEmpty();
        assertThat(e.evaluate(List.of(), 250, 2.0, t0.plusSeconds(2))).singleElement()
                .satisfies(a -> assertThat(a.value()).isEqualTo(125));
    }

    @Test
    void portScanCountsDistinctPortsWithinTheWindow() {
        AlertEngine e = new AlertEngine(List.of(new AlertRule.PortScan(20, Duration.ofSeconds(10))), seen::add);
        List<ActiveFlow> web = new ArrayList<>();
        for (int i = 0; i < 50; i++) web.add(Flows.active(Flows.key("10.0.0.1", "10.0.0.2", 30000 + i, 443, 6), 3, 300, 3, 300));
        assertThat(e.evaluate(web, 50, 1.0, t0)).as("many flows to one port is not a scan").isEmpty();
        List<ActiveFlow> slow = new ArrayList<>();
        for (int i = 0; i < 15; i++) slow.add(Flows.active(Flows.key("10.0.0.7", "10.0.0.2", 5555, 1000 + i, 6), 1, 60, 1, 60));
        assertThat(e.evaluate(slow, 15, 1.0, t0.plusSeconds(1))).isEmpty();
        List<ActiveFlow> more = new ArrayList<>();
        for (int i = 15; i < 25; i++) more.add(Flows.active(Flows.key("10.0.0.7", "10.0.0.2", 5555, 1000 + i, 6), 1, 60, 1, 60));
        assertThat(e.evaluate(more, 10, 1.0, t0.plusSeconds(2))).singleElement()
                .satisfies(a -> assertThat(a.message()).contains("10.0.0.7 reached 25 destination ports"));
        // the same ports 20 s later, after the window emptied: only 10 in the window
        AlertEngine later = new AlertEngine(List.of(new AlertRule.PortScan(20, Duration.ofSeconds(10))), seen::add);
        later.evaluate(slow, 15, 1.0, t0);
        assertThat(later.evaluate(more, 10, 1.0, t0.plusSeconds(20))).isEmpty();
    }
}
