package io.packetlens.ebpf.info;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A BTF object in the kernel: {@code struct bpf_btf_info} of linux/bpf.h. {@code name} is set for the kernel's own
 * BTF ({@code vmlinux}, module names; {@code kernelBtf}) and empty for BTF that programs loaded.
 *
 * @param size bytes of raw BTF ({@link #dataOfFd} reads them)
 */
public record BtfInfo(int id, String name, boolean kernelBtf, int size) {
    private static final int NAME_BUFFER = 64;

    /** Reads the info of the BTF object behind {@code fd} (with its name, in the same call). */
    public static BtfInfo ofFd(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.BtfInfo.SIZE, 8);
            MemorySegment name = arena.allocate(NAME_BUFFER);
            info.set(JAVA_LONG, BpfAttr.BtfInfo.NAME, name.address());
            info.set(JAVA_INT, BpfAttr.BtfInfo.NAME_LEN, NAME_BUFFER);
            int r = Bpf.tryInfo(fd, info);
            if (r < 0) throw BpfException.of(BpfCmd.name(BpfCmd.OBJ_GET_INFO_BY_FD) + " (BTF info)", -r);
            return new BtfInfo(info.get(JAVA_INT, BpfAttr.BtfInfo.ID), Names.cString(name, 0, NAME_BUFFER),
                    info.get(JAVA_INT, BpfAttr.BtfInfo.KERNEL_BTF) != 0, info.get(JAVA_INT, BpfAttr.BtfInfo.BTF_SIZE));
        }
    }

    /** The raw BTF (header, types, strings) of the object behind {@code fd}, as {@link io.packetlens.ebpf.btf.Btf#parse} reads it. */
    public static byte[] dataOfFd(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            int size = ofFd(fd).size();
            MemorySegment info = arena.allocate(BpfAttr.BtfInfo.SIZE, 8);
            MemorySegment data = arena.allocate(Math.max(size, 1), 8);
            info.set(JAVA_LONG, BpfAttr.BtfInfo.BTF, data.address());
            info.set(JAVA_INT, BpfAttr.BtfInfo.BTF_SIZE, size);
            int r = Bpf.tryInfo(fd, info);
            if (r < 0) throw BpfException.of(BpfCmd.name(BpfCmd.OBJ_GET_INFO_BY_FD) + " (BTF data)", -r);
            int got = info.get(JAVA_INT, BpfAttr.BtfInfo.BTF_SIZE);
            return data.asSlice(0, Math.min(got, size)).toArray(JAVA_BYTE);
        }
    }
}
