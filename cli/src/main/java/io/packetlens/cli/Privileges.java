package io.packetlens.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checks the capabilities a command needs before it touches the kernel, to fail with advice rather than EPERM. */
final class Privileges {
    private static final int CAP_NET_ADMIN = 12, CAP_SYS_ADMIN = 21, CAP_BPF = 39;

    private Privileges() {}

    /** Throws unless the process has CAP_BPF (or CAP_SYS_ADMIN) and CAP_NET_ADMIN, naming what is missing. */
    static void requireNetworkBpf(String command) {
        long eff = effectiveCaps();
        boolean bpf = has(eff, CAP_BPF) || has(eff, CAP_SYS_ADMIN);
        boolean net = has(eff, CAP_NET_ADMIN);
        if (bpf && net) return;
        StringBuilder missing = new StringBuilder();
        if (!bpf) missing.append("CAP_BPF");
        if (!net) missing.append(missing.isEmpty() ? "" : " and ").append("CAP_NET_ADMIN");
        throw new UserException(command + " needs " + missing + " (run as root, e.g. sudo ./packetlens " + command + ")");
    }

    /** Namespaces for the demo lab need CAP_SYS_ADMIN too. */
    static void requireRoot(String command) {
        requireNetworkBpf(command);
        if (!has(effectiveCaps(), CAP_SYS_ADMIN)) {
            throw new UserException(command + " creates network namespaces and needs CAP_SYS_ADMIN (run as root)");
        }
    }

    /** Throws unless the process has CAP_SYS_ADMIN, saying what needs it. */
    static void requireSysAdmin(String command, String why) {
        if (!has(effectiveCaps(), CAP_SYS_ADMIN)) {
            throw new UserException(command + " needs CAP_SYS_ADMIN for " + why + " (run as root, e.g. sudo ./packetlens " + command + ")");
        }
    }

    private static boolean has(long caps, int cap) {
        return (caps & (1L << cap)) != 0;
    }

    private static long effectiveCaps() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) return Long.parseUnsignedLong(line.substring(7).trim(), 16);
            }
        } catch (IOException ignored) {
            // fall through: assume nothing
        }
        return 0;
    }
}
