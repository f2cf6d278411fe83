package io.packetlens.ebpf.channels;

import io.packetlens.ebpf.sys.Affinity;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/** Runs code on a fresh platform thread pinned to one CPU, so BPF_PROG_TEST_RUN producers run where the test wants them. */
public final class OnCpu {
    private OnCpu() {}

    /** Runs {@code body} pinned to {@code cpu} and returns its result, rethrowing what it threw. */
    public static <T> T call(int cpu, Callable<T> body) throws Exception {
        AtomicReference<T> result = new AtomicReference<>();
        Thread t = start(cpu, () -> result.set(body.call()));
        join(t);
        return result.get();
    }

    public static void run(int cpu, ThrowingRunnable body) throws Exception {
        join(start(cpu, body));
    }

    /** Starts {@code body} on a thread pinned to {@code cpu}; {@link #join} it to get its failure. */
    public static Thread start(int cpu, ThrowingRunnable body) {
        Failing t = new Failing(() -> {
            Affinity.pinCurrentThread(cpu);
            if (Affinity.currentCpu() != cpu) throw new IllegalStateException("not on CPU " + cpu + " after pinning");
            body.run();
        });
        t.setName("cpu" + cpu + "-producer");
        t.start();
        return t;
    }

    /** Waits for a thread from {@link #start} and rethrows its failure. */
    public static void join(Thread t) throws Exception {
        t.join();
        if (t instanceof Failing f && f.failure != null) {
            if (f.failure instanceof Exception e) throw e;
            throw new RuntimeException(f.failure);
        }
    }

    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static final class Failing extends Thread {
        private final ThrowingRunnable body;
        volatile Throwable failure;

        Failing(ThrowingRunnable body) {
            this.body = body;
        }

        @Override
        public void run() {
            try {
                body.run();
            } catch (Throwable t) {
                failure = t;
            }
        }
    }
}
