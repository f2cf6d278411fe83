/**
 * packetlens's eBPF library: BPF objects, maps, programs and links over the raw bpf(2) system call through the
 * Foreign Function & Memory API. Every package is API except {@code io.packetlens.ebpf.sys}, the system-call layer.
 * Needs {@code --enable-native-access=io.packetlens.ebpf} on the module path (ALL-UNNAMED on the class path).
 */
module io.packetlens.ebpf {
    exports io.packetlens.ebpf;
    exports io.packetlens.ebpf.asm;
    exports io.packetlens.ebpf.btf;
    exports io.packetlens.ebpf.cgroup;
    exports io.packetlens.ebpf.core;
    exports io.packetlens.ebpf.cpu;
    exports io.packetlens.ebpf.elf;
    exports io.packetlens.ebpf.events;
    exports io.packetlens.ebpf.features;
    exports io.packetlens.ebpf.info;
    exports io.packetlens.ebpf.link;
    exports io.packetlens.ebpf.netlink;
    exports io.packetlens.ebpf.netns;
    exports io.packetlens.ebpf.perf;
    exports io.packetlens.ebpf.poll;
    exports io.packetlens.ebpf.ringbuf;
    exports io.packetlens.ebpf.socket;
    exports io.packetlens.ebpf.tracing;
    exports io.packetlens.ebpf.xsk;
}
