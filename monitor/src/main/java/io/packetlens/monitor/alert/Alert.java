package io.packetlens.monitor.alert;

import java.time.Instant;

/** One alert: which rule fired, about what (a source address, or "all"), the measured value and the threshold. */
public record Alert(Instant time, String rule, String subject, double value, double threshold, String message) {
    @Override
    public String toString() {
        return time + " ALERT " + rule + " " + subject + ": " + message;
    }
}
