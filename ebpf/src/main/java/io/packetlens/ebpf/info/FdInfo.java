package io.packetlens.ebpf.info;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One /proc/PID/fdinfo/FD file: {@code key:\tvalue} lines. For BPF objects the kernel adds what the info structures
 * lack: {@code memlock} (bytes of kernel memory the object is charged for), a map's {@code frozen}, a program's or
 * link's id, a link's attach details.
 */
public record FdInfo(Map<String, String> fields) {

    public FdInfo {
        fields = Map.copyOf(fields);
    }

    /** The fdinfo of {@code fd} of process {@code pid}; empty if it is gone or not readable (another user's, without root). */
    public static Optional<FdInfo> read(long pid, int fd) {
        try {
            return Optional.of(parse(Files.readString(Path.of("/proc", Long.toString(pid), "fdinfo", Integer.toString(fd)))));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The fdinfo of one of this process's fds. */
    public static Optional<FdInfo> self(int fd) {
        return read(ProcessHandle.current().pid(), fd);
    }

    static FdInfo parse(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int c = line.indexOf(':');
            if (c > 0) m.putIfAbsent(line.substring(0, c).strip(), line.substring(c + 1).strip());
        }
        return new FdInfo(m);
    }

    public Optional<String> get(String key) {
        return Optional.ofNullable(fields.get(key));
    }

    /** A numeric field (decimal, or hex with 0x), if present and a number. */
    public OptionalLong number(String key) {
        String v = fields.get(key);
        if (v == null) return OptionalLong.empty();
        try {
            return OptionalLong.of(v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseLong(v));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Kernel memory charged for the object, in bytes. */
    public OptionalLong memlock() {
        return number("memlock");
    }
}
