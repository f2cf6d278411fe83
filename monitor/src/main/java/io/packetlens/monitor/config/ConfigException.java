package io.packetlens.monitor.config;

/** A configuration file or flag that cannot be used: names the key, what was expected and what was found. */
public final class ConfigException extends RuntimeException {
    private final String key;

    public ConfigException(String key, String problem) {
        super((key.isEmpty() ? "" : key + ": ") + problem);
        this.key = key;
    }

    /** The dotted path of the offending key, e.g. {@code timeouts.idle}. */
    public String key() {
        return key;
    }
}
