package io.packetlens.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Mounts and unmounts private bpf filesystem instances, so tests can pin objects without touching {@code /sys/fs/bpf}. */
public final class Bpffs {

    private Bpffs() {
    }

    /** Creates {@code dir} if needed and mounts a fresh bpffs there (each bpffs mount is a separate, empty instance). */
    public static Path mountPrivate(Path dir) throws IOException {
        Files.createDirectories(dir);
        Commands.run(List.of(tool("mount"), "-t", "bpf", "bpf", dir.toString()));
        return dir;
    }

    /** Unmounts the bpffs at {@code dir} (dropping its pins); does nothing if nothing is mounted there. */
    public static void unmount(Path dir) throws IOException {
        if (isMounted(dir)) {
            Commands.run(List.of(tool("umount"), dir.toString()));
        }
    }

    /** Whether a bpffs is mounted exactly at {@code dir}, per {@code /proc/self/mounts}. */
    public static boolean isMounted(Path dir) throws IOException {
        String target = dir.toAbsolutePath().normalize().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String[] fields = line.split(" ");
            if (fields.length > 2 && fields[2].equals("bpf") && unescape(fields[1]).equals(target)) {
                return true;
            }
        }
        return false;
    }

    /** /proc/self/mounts escapes space, tab, newline and backslash as octal. */
    private static String unescape(String field) {
        return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }

    private static String tool(String name) throws IOException {
        return Commands.find(name).orElseThrow(() -> new IOException("`" + name + "` not found")).toString();
    }
}
