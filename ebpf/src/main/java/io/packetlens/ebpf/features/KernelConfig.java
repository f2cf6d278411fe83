package io.packetlens.ebpf.features;

import io.packetlens.ebpf.BpfException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/**
 * The running kernel's build configuration, from /proc/config.gz (CONFIG_IKCONFIG_PROC) or
 * /boot/config-$(uname -r), as libbpf reads it for {@code __kconfig} externs: each {@code CONFIG_X=value} line, and
 * {@code # CONFIG_X is not set} as "n".
 */
public final class KernelConfig {
    public static final Path PROC = Path.of("/proc/config.gz");

    private final Map<String, String> values;
    private final Path source;

    private KernelConfig(Map<String, String> values, Path source) {
        this.values = values;
        this.source = source;
    }

    /** Reads this kernel's configuration; throws naming both places looked at when neither exists. */
    public static KernelConfig current() {
        Path boot = Path.of("/boot/config-" + KernelVersion.current());
        try {
            if (Files.isReadable(PROC)) {
                try (InputStream in = new GZIPInputStream(Files.newInputStream(PROC))) {
                    return new KernelConfig(parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)), PROC);
                }
            }
            if (Files.isReadable(boot)) return new KernelConfig(parse(Files.readString(boot)), boot);
        } catch (IOException e) {
            throw new BpfException("cannot read the kernel configuration: " + e.getMessage(), e);
        }
        throw new BpfException.NotFoundException("no kernel configuration: neither " + PROC + " (CONFIG_IKCONFIG_PROC) nor " + boot
                + " exists, so __kconfig externs cannot be resolved");
    }

    /** Parses the text of a kernel .config. */
    public static Map<String, String> parse(String text) {
        Map<String, String> out = new HashMap<>();
        for (String line : text.split("\n")) {
            line = line.strip();
            if (line.startsWith("# CONFIG_") && line.endsWith(" is not set")) {
                out.put(line.substring(2, line.length() - " is not set".length()), "n");
            } else if (line.startsWith("CONFIG_") && line.indexOf('=') > 0) {
                out.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
        }
        return out;
    }

    /** The raw value of {@code name} (y, m, n, a number or a quoted string), if the configuration mentions it. */
    public Optional<String> get(String name) {
        return Optional.ofNullable(values.get(name));
    }

    /** Where it was read from. */
    public Path source() {
        return source;
    }
}
