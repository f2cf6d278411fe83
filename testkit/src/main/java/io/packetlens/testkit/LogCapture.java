package io.packetlens.testkit;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * What the code under test logs through java.util.logging (the backend of {@link System.Logger} unless another is
 * installed) to one logger and its children, recorded while open. A handler on the logger itself, not on the console:
 * the console handler may hold an earlier {@code System.err}. Records are kept whatever the logger's level says only
 * if they reach it; {@link #open} lowers the logger's level to ALL for the capture's life and restores it on close.
 */
public final class LogCapture implements AutoCloseable {
    private final Logger logger; // held: JUL keeps loggers only weakly
    private final Level previousLevel;
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    private LogCapture(String name) {
        logger = Logger.getLogger(name);
        previousLevel = logger.getLevel();
        logger.setLevel(Level.ALL);
        handler.setLevel(Level.ALL);
        logger.addHandler(handler);
    }

    /** Starts recording what reaches logger {@code name} (children included). */
    public static LogCapture open(String name) {
        return new LogCapture(name);
    }

    /** Everything recorded so far. */
    public List<LogRecord> records() {
        return List.copyOf(records);
    }

    /** The messages recorded so far. */
    public List<String> messages() {
        return records.stream().map(LogRecord::getMessage).toList();
    }

    /** Waits until at least {@code count} records match (or {@code timeout} passes); returns the matching ones. */
    public List<LogRecord> await(Predicate<LogRecord> match, int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<LogRecord> m = records.stream().filter(match).toList();
            if (m.size() >= count || System.nanoTime() - deadline >= 0) return m;
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
        logger.setLevel(previousLevel);
    }
}
