/** cgroup v2 directories: find or mount the hierarchy, create groups, move processes, for cgroup BPF hooks. */
package io.packetlens.ebpf.cgroup;
