package io.packetlens.ebpf.features;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The calling process's effective capabilities ({@code CapEff} of /proc/self/status), and the ones BPF needs:
 * CAP_BPF (load programs, create maps; 5.8+), CAP_NET_ADMIN (network hooks), CAP_PERFMON (tracing, perf events),
 * CAP_SYS_ADMIN (everything, on any kernel; listing all objects, BPF_ENABLE_STATS, namespaces).
 */
public record Capabilities(long effective) {
    public static final int CAP_NET_ADMIN = 12, CAP_NET_RAW = 13, CAP_IPC_LOCK = 14, CAP_SYS_PTRACE = 19,
            CAP_SYS_ADMIN = 21, CAP_SYS_RESOURCE = 24, CAP_PERFMON = 38, CAP_BPF = 39;

    /** This process's effective set now (none if /proc/self/status cannot be read). */
    public static Capabilities current() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) return new Capabilities(Long.parseUnsignedLong(line.substring(7).strip(), 16));
            }
        } catch (IOException | NumberFormatException e) {
            return new Capabilities(0);
        }
        return new Capabilities(0);
    }

    public boolean has(int cap) {
        return (effective & (1L << cap)) != 0;
    }

    /** The capability's name as capabilities(7) spells it. */
    public static String name(int cap) {
        return switch (cap) {
            case CAP_NET_ADMIN -> "CAP_NET_ADMIN"; case CAP_NET_RAW -> "CAP_NET_RAW"; case CAP_IPC_LOCK -> "CAP_IPC_LOCK";
            case CAP_SYS_PTRACE -> "CAP_SYS_PTRACE"; case CAP_SYS_ADMIN -> "CAP_SYS_ADMIN";
            case CAP_SYS_RESOURCE -> "CAP_SYS_RESOURCE"; case CAP_PERFMON -> "CAP_PERFMON"; case CAP_BPF -> "CAP_BPF";
            default -> "capability " + cap;
        };
    }

    /** Which of {@code caps} are missing. */
    public List<String> missing(int... caps) {
        List<String> out = new ArrayList<>();
        for (int c : caps) if (!has(c)) out.add(name(c));
        return out;
    }
}
