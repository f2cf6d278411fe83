package io.packetlens.ebpf.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The BPF file system (bpffs), where maps, programs and links are pinned to outlive their process. */
public final class Bpffs {
    private Bpffs() {}

    /** Whether {@code dir} is on a mounted bpf file system, per /proc/self/mounts. */
    public static boolean isBpffs(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        String best = null;
        String bestType = null;
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/self/mounts"));
            for (String line : lines) {
                String[] f = line.split(" ");
                if (f.length < 3) continue;
                String mnt = f[1].replace("\\040", " ");
                if (abs.startsWith(Path.of(mnt)) && (best == null || mnt.length() >= best.length())) {
                    best = mnt;
                    bestType = f[2];
                }
            }
        } catch (IOException e) {
            return false;
        }
        return "bpf".equals(bestType);
    }

    /** Explains why {@code path} cannot hold pins, or returns "" if its directory is on bpffs. */
    public static String problem(Path path) {
        Path dir = path.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) return " (directory " + dir + " does not exist)";
        if (!isBpffs(dir)) return " (" + dir + " is not on a bpf file system: mount one with `mount -t bpf bpf " + dir + "`)";
        String name = path.getFileName().toString();
        if (name.contains(".")) return " (bpffs refuses names containing '.')";
        return "";
    }
}
