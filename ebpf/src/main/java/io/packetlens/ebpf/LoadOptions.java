package io.packetlens.ebpf;

import java.nio.file.Path;
import java.util.Map;

/**
 * How an {@link ObjectSpec} is loaded: where maps with {@code pinning = BY_NAME} live,
 * existing maps to use instead of creating some by name, and the verifier log size.
 *
 * @param pinPath      directory on a bpf file system for pinned maps
 * @param replaceMaps  maps to use instead of creating the spec's map of the same name (not closed by the object)
 * @param logSize      initial verifier log buffer in bytes (grown when the kernel says it is too small)
 * @param verboseLog   load with log level 2 even when the load succeeds (debugging)
 * @param targetBtf    the BTF CO-RE relocations are applied against, for a kernel without /sys/kernel/btf/vmlinux
 *                     (libbpf's btf_custom_path: a raw BTF file, e.g. from BTFHub); null for the running kernel's
 */
public record LoadOptions(Path pinPath, Map<String, BpfMap> replaceMaps, int logSize, boolean verboseLog, Path targetBtf) {
    public static final Path DEFAULT_PIN_PATH = Path.of("/sys/fs/bpf");

    public LoadOptions {
        replaceMaps = Map.copyOf(replaceMaps);
    }

    public static LoadOptions defaults() {
        return new LoadOptions(DEFAULT_PIN_PATH, Map.of(), 1 << 20, false, null);
    }

    public LoadOptions pinPath(Path p) {
        return new LoadOptions(p, replaceMaps, logSize, verboseLog, targetBtf);
    }

    public LoadOptions replaceMaps(Map<String, BpfMap> maps) {
        return new LoadOptions(pinPath, maps, logSize, verboseLog, targetBtf);
    }

    public LoadOptions logSize(int n) {
        return new LoadOptions(pinPath, replaceMaps, n, verboseLog, targetBtf);
    }

    /** Applies CO-RE relocations against the BTF in {@code file} instead of the running kernel's. */
    public LoadOptions targetBtf(Path file) {
        return new LoadOptions(pinPath, replaceMaps, logSize, verboseLog, file);
    }
}
