package io.packetlens.cli;

/** A problem with how packetlens was invoked or with its environment, reported as one line. */
public final class UserException extends RuntimeException {
    public UserException(String message) {
        super(message);
    }
}
