/**
 * What the kernel says about its BPF objects: {@code struct bpf_prog_info}, {@code bpf_map_info}, {@code bpf_link_info}
 * and {@code bpf_btf_info} as records ({@link io.packetlens.ebpf.info.ProgramInfo}, {@link io.packetlens.ebpf.info.MapInfo},
 * {@link io.packetlens.ebpf.info.LinkInfo}, {@link io.packetlens.ebpf.info.BtfInfo}), iteration over every object in the
 * system ({@link io.packetlens.ebpf.info.KernelObjects}), the processes holding them ({@link io.packetlens.ebpf.info.Owners},
 * from /proc/PID/fdinfo), run-time statistics ({@link io.packetlens.ebpf.info.BpfStats} for BPF_ENABLE_STATS,
 * {@link io.packetlens.ebpf.info.ProgramStatsReader}) and the boot clock that load times are measured on.
 */
package io.packetlens.ebpf.info;
