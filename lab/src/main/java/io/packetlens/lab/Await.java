package io.packetlens.lab;

import java.time.Duration;

/**
 * Waits for a lab condition by polling it, for tests whose packets are still in flight through a
 * veth's backlog or a reader thread when the sender returns: on a loaded machine a fixed sleep is
 * either too short or wastes time, so a test polls for what it expects and then asserts as before.
 */
public final class Await {

    private static final long POLL_MILLIS = 20;

    /** A condition that may throw, as reading a map or a link's counters can. */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    /** A counter that may throw, as reading a link's statistics can. */
    @FunctionalInterface
    public interface Counter {
        long read() throws Exception;
    }

    private Await() {
    }

    /**
     * Polls {@code condition} every 20 ms until it holds or {@code timeout} has passed, and says
     * whether it held. The caller asserts afterwards, so a timeout shows the real numbers.
     */
    public static boolean until(Duration timeout, Condition condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(POLL_MILLIS);
        }
        return true;
    }

    /**
     * Polls {@code counter} every 20 ms until it has not changed for {@code quietFor} (a link whose
     * last frames, a late ACK or a retransmission, have gone out), or {@code timeout} has passed,
     * and says whether it went quiet.
     */
    public static boolean quiet(Duration quietFor, Duration timeout, Counter counter) throws Exception {
        long[] last = {counter.read()};
        long[] since = {System.nanoTime()};
        return until(timeout, () -> {
            long now = counter.read();
            if (now != last[0]) {
                last[0] = now;
                since[0] = System.nanoTime();
            }
            return System.nanoTime() - since[0] >= quietFor.toNanos();
        });
    }
}
