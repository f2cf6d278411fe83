package io.packetlens.bench;

import io.packetlens.monitor.FlowMonitor;
import io.packetlens.monitor.MonitorSnapshot;
import io.packetlens.peers.Processes;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * The agent's poll loop, run here so that each poll can be timed: {@link FlowMonitor#poll()} every interval on a
 * thread of its own, on the schedule {@code Agent.runUntil} keeps (the next poll one interval after the last one's
 * start, at least half an interval after it), each poll published with its clock and CPU readings.
 */
final class Poller implements AutoCloseable {
    /**
     * One poll.
     *
     * @param index          1 for the first poll
     * @param startNanos     {@link System#nanoTime()} just before the poll
     * @param endNanos       just after it
     * @param processCpu     this JVM's CPU time just before the poll (all threads)
     * @param threadCpuNanos the poll thread's CPU time for the poll
     * @param records        records the monitor emitted so far, after the poll
     * @param activeFlows    flows in the table after the poll
     * @param peerCpuNanos   the watched child processes' CPU times just before the poll
     */
    record Poll(int index, long startNanos, long endNanos, CpuTime processCpu, long threadCpuNanos, long records,
                int activeFlows, long[] peerCpuNanos) {
        long wallNanos() {
            return endNanos - startNanos;
        }
    }

    private final FlowMonitor monitor;
    private final long interval;
    private final long[] peers;
    private final BlockingQueue<Poll> polls = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final long startNanos;
    private volatile boolean stop;

    /** Starts polling: the first poll one interval from now. {@code peerPids} are read before every poll. */
    Poller(FlowMonitor monitor, Duration interval, long... peerPids) {
        this.monitor = monitor;
        this.interval = interval.toNanos();
        this.peers = peerPids.clone();
        this.startNanos = System.nanoTime();
        this.thread = Thread.ofPlatform().name("bench-poller").start(this::loop);
    }

    /** When polling began: poll k is due at {@code start + k * interval}. */
    long startNanos() {
        return startNanos;
    }

    long intervalNanos() {
        return interval;
    }

    BlockingQueue<Poll> polls() {
        return polls;
    }

    private void loop() {
        long next = startNanos + interval;
        for (int k = 1; !stop; k++) {
            for (long now = System.nanoTime(); now - next < 0 && !stop; now = System.nanoTime()) {
                LockSupport.parkNanos(next - now);
            }
            if (stop) return;
            long[] peerCpu = new long[peers.length];
            for (int i = 0; i < peers.length; i++) peerCpu[i] = Processes.cpuNanos(peers[i]);
            CpuTime process = CpuTime.process();
            CpuTime self = CpuTime.thread();
            long t0 = System.nanoTime();
            MonitorSnapshot s = monitor.poll();
            long t1 = System.nanoTime();
            long threadCpu = CpuTime.thread().minus(self).totalNanos();
            polls.add(new Poll(k, t0, t1, process, threadCpu, s.totals().records(), s.totals().activeFlows(), peerCpu));
            next = Math.max(next + interval, t0 + interval / 2);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        LockSupport.unpark(thread);
        thread.join();
    }
}
