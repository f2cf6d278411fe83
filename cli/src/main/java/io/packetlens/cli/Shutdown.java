package io.packetlens.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Ctrl-C and SIGTERM handling for long-running commands: a JVM shutdown hook that sets a
 * flag, wakes the main loop, and waits for it to release kernel objects (detach programs,
 * remove namespaces) before the JVM exits. Closing it normally removes the hook.
 */
final class Shutdown implements AutoCloseable {
    private final Thread hook;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final List<Runnable> onRequest = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean requested;
    private final Object lock = new Object();
    private boolean released;

    private Shutdown() {
        hook = new Thread(this::onSignal, "packetlens-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * A shutdown guard. Declare it first in try-with-resources, so that it is closed last:
     * the hook waits for the main thread's cleanup and only closes what was
     * {@linkplain #register registered} itself if that cleanup does not finish in time.
     */
    static Shutdown install() {
        return new Shutdown();
    }

    /** Registers a resource to close if the main thread does not get to it; returns it. */
    <T extends AutoCloseable> T register(T resource) {
        synchronized (lock) {
            resources.add(resource);
        }
        return resource;
    }

    /** Runs {@code action} when a shutdown is requested (e.g. to wake a loop that waits on something else). */
    void whenRequested(Runnable action) {
        onRequest.add(action);
    }

    boolean requested() {
        return requested;
    }

    /** Sleeps up to {@code millis}, returning early on a shutdown request. */
    void sleep(long millis) throws InterruptedException {
        synchronized (lock) {
            if (!requested) lock.wait(millis);
        }
    }

    private void onSignal() {
        onRequest.forEach(Runnable::run);
        synchronized (lock) {
            requested = true;
            lock.notifyAll();
            // give the main loop a moment to finish and close things itself, printing its summary
            long deadline = System.currentTimeMillis() + 5000;
            while (!released && System.currentTimeMillis() < deadline) {
                try {
                    lock.wait(100);
                } catch (InterruptedException e) {
                    break;
                }
            }
            if (!released) releaseResources();
        }
    }

    private void releaseResources() {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                System.err.println("packetlens: cleanup: " + e.getMessage());
            }
        }
        released = true;
    }

    @Override
    public void close() {
        synchronized (lock) {
            released = true;
            lock.notifyAll();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running; it sees released and returns
        }
    }
}
