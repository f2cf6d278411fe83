package io.packetlens.guard;

/** A ruleset the guard program cannot hold (too many kernel rules, limiters or prefixes); the message says which. */
public class GuardCompileException extends IllegalArgumentException {
    public GuardCompileException(String message) {
        super(message);
    }
}
