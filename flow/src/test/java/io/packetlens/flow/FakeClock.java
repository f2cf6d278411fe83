package io.packetlens.flow;

import java.time.Duration;

/** The system clocks moved forward by hand: kernel timestamps stay real, so "later" is real time plus the advance. */
final class FakeClock implements FlowClock {
    private long advancedNanos;

    void advance(Duration d) {
        advancedNanos += d.toNanos();
    }

    @Override
    public long monotonicNanos() {
        return FlowClock.system().monotonicNanos() + advancedNanos;
    }

    @Override
    public long realtimeNanos() {
        return FlowClock.system().realtimeNanos() + advancedNanos;
    }

    @Override
    public long wallOffsetNanos() {
        return FlowClock.system().wallOffsetNanos();
    }
}
