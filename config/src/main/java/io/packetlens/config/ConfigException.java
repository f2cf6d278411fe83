package io.packetlens.config;

/**
 * A configuration file or flag that cannot be used: names the key (a dotted path such as
 * {@code exporters[0].port}, or a flag such as {@code --hook}), what was expected and what was found,
 * and the line of the file when it is known.
 */
public final class ConfigException extends RuntimeException {
    private final String key;
    private final int line;

    public ConfigException(String key, String problem) {
        this(key, problem, -1);
    }

    public ConfigException(String key, String problem, int line) {
        super((key.isEmpty() ? "" : key + ": ") + problem + (line > 0 ? " (line " + line + ")" : ""));
        this.key = key;
        this.line = line;
    }

    /** The dotted path of the offending key, e.g. {@code flows.timeouts.idle}. */
    public String key() {
        return key;
    }

    /** The line in the file where the key is, or -1 (flags, or text without a file). */
    public int line() {
        return line;
    }
}
