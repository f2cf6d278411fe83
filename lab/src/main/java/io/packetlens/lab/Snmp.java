package io.packetlens.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Parses the kernel's SNMP counter files into flat "Group.Counter" maps. */
final class Snmp {

    private Snmp() {
    }

    /**
     * Reads the counters of the calling thread's network namespace. {@code /proc/net} follows the process's main thread,
     * whereas {@code /proc/thread-self/net} follows this thread, which matters after {@code setns}.
     */
    static Map<String, Long> readCurrentThread() throws IOException {
        Map<String, Long> counters = new TreeMap<>();
        parseSnmp(Files.readAllLines(Path.of("/proc/thread-self/net/snmp")), counters);
        Path snmp6 = Path.of("/proc/thread-self/net/snmp6");
        if (Files.exists(snmp6)) {
            parseSnmp6(Files.readAllLines(snmp6), counters);
        }
        return counters;
    }

    /** /proc/net/snmp holds pairs of lines: "Ip: Forwarding DefaultTTL ..." followed by "Ip: 1 64 ...". */
    static void parseSnmp(List<String> lines, Map<String, Long> into) {
        for (int i = 0; i + 1 < lines.size(); i += 2) {
            String[] names = lines.get(i).trim().split("\\s+");
            String[] values = lines.get(i + 1).trim().split("\\s+");
            String group = names[0].endsWith(":") ? names[0].substring(0, names[0].length() - 1) : names[0];
            for (int k = 1; k < Math.min(names.length, values.length); k++) {
                into.put(group + "." + names[k], Long.parseLong(values[k]));
            }
        }
    }

    /** /proc/net/snmp6 holds one "Name value" pair per line, the group already part of the name (Ip6OutRequests). */
    static void parseSnmp6(List<String> lines, Map<String, Long> into) {
        for (String line : lines) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length == 2) {
                into.put(parts[0], Long.parseLong(parts[1]));
            }
        }
    }
}
