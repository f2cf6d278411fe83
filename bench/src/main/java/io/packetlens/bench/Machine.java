package io.packetlens.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** What the numbers were measured on: kernel, CPU, memory, JVM, read from /proc and the runtime. */
record Machine(String kernel, String cpuModel, int cpus, boolean virtualized, long memTotalKb,
               String os, String java, String bpftool) {

    static Machine describe(Bpftool bpftool) {
        List<String> cpuinfo = lines("/proc/cpuinfo");
        String model = field(cpuinfo, "model name").orElse("unknown");
        boolean vm = field(cpuinfo, "flags").map(f -> (" " + f + " ").contains(" hypervisor ")).orElse(false);
        long mem = field(lines("/proc/meminfo"), "MemTotal").map(v -> Long.parseLong(v.replace("kB", "").trim())).orElse(-1L);
        String os = lines("/etc/os-release").stream().filter(l -> l.startsWith("PRETTY_NAME="))
                .map(l -> l.substring("PRETTY_NAME=".length()).replace("\"", "")).findFirst().orElse(System.getProperty("os.name"));
        String kernel = lines("/proc/sys/kernel/osrelease").stream().findFirst().orElse(System.getProperty("os.version"));
        String java = System.getProperty("java.vm.name") + " " + Runtime.version();
        return new Machine(kernel, model, Runtime.getRuntime().availableProcessors(), vm, mem, os, java, bpftool.version());
    }

    String cpuDescription() {
        return cpuModel + ", " + cpus + (cpus == 1 ? " CPU" : " CPUs") + (virtualized ? " (virtual machine)" : "");
    }

    String memory() {
        return memTotalKb < 0 ? "unknown" : String.format("%.1f GiB", memTotalKb / 1024.0 / 1024.0);
    }

    private static Optional<String> field(List<String> lines, String name) {
        return lines.stream().filter(l -> l.startsWith(name)).map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst();
    }

    private static List<String> lines(String path) {
        try {
            return Files.readAllLines(Path.of(path));
        } catch (IOException e) {
            return List.of();
        }
    }
}
