package io.packetlens.lab;

import java.io.IOException;
import java.util.List;

/** Thrown when an external command (usually {@code ip}) exits non-zero; carries the command, its exit code and its stderr. */
public final class CommandFailedException extends IOException {

    private final List<String> command;
    private final int exitCode;
    private final String stderr;

    public CommandFailedException(List<String> command, int exitCode, String stderr) {
        super("`" + String.join(" ", command) + "` failed (exit " + exitCode + "): " + stderr.strip());
        this.command = List.copyOf(command);
        this.exitCode = exitCode;
        this.stderr = stderr;
    }

    public List<String> command() {
        return command;
    }

    public int exitCode() {
        return exitCode;
    }

    public String stderr() {
        return stderr;
    }
}
