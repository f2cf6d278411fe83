package io.packetlens.ebpf.info;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A map as the kernel describes it: {@code struct bpf_map_info} of linux/bpf.h, read with one BPF_OBJ_GET_INFO_BY_FD.
 *
 * @param type                  the kernel's {@code enum bpf_map_type} number ({@link #mapType()} names it)
 * @param valueSize             one value as a program sees it (one CPU's slot of a per-CPU map)
 * @param ifindex               the device of a map offloaded to hardware, else 0
 * @param btfId                 the BTF object describing key and value, 0 if none ({@code btfKeyTypeId},
 *                              {@code btfValueTypeId} are type ids in it; 0 = not described)
 * @param btfVmlinuxValueTypeId for struct_ops maps, the kernel type of the value
 * @param mapExtra              type-specific (a bloom filter's hash count, an arena's address)
 */
public record MapInfo(int id, int type, String name, int keySize, int valueSize, int maxEntries, int flags, int ifindex,
                      int btfVmlinuxValueTypeId, long netnsDev, long netnsIno, int btfId, int btfKeyTypeId,
                      int btfValueTypeId, long mapExtra) {

    /** Reads the info of the map behind {@code fd}. */
    public static MapInfo ofFd(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.MapInfo.SIZE, 8);
            int r = Bpf.tryInfo(fd, info);
            if (r < 0) throw BpfException.of(BpfCmd.name(BpfCmd.OBJ_GET_INFO_BY_FD) + " (map info)", -r);
            return new MapInfo(info.get(JAVA_INT, BpfAttr.MapInfo.ID), info.get(JAVA_INT, BpfAttr.MapInfo.TYPE),
                    Names.cString(info, BpfAttr.MapInfo.NAME, 16), info.get(JAVA_INT, BpfAttr.MapInfo.KEY_SIZE),
                    info.get(JAVA_INT, BpfAttr.MapInfo.VALUE_SIZE), info.get(JAVA_INT, BpfAttr.MapInfo.MAX_ENTRIES),
                    info.get(JAVA_INT, BpfAttr.MapInfo.MAP_FLAGS), info.get(JAVA_INT, BpfAttr.MapInfo.IFINDEX),
                    info.get(JAVA_INT, BpfAttr.MapInfo.BTF_VMLINUX_VALUE_TYPE_ID), info.get(JAVA_LONG, BpfAttr.MapInfo.NETNS_DEV),
                    info.get(JAVA_LONG, BpfAttr.MapInfo.NETNS_INO), info.get(JAVA_INT, BpfAttr.MapInfo.BTF_ID),
                    info.get(JAVA_INT, BpfAttr.MapInfo.BTF_KEY_TYPE_ID), info.get(JAVA_INT, BpfAttr.MapInfo.BTF_VALUE_TYPE_ID),
                    info.get(JAVA_LONG, BpfAttr.MapInfo.MAP_EXTRA));
        }
    }

    /** The map type, if this library knows its number. */
    public Optional<MapType> mapType() {
        return MapType.find(type);
    }

    /** The type as bpftool names it ({@code hash}, {@code percpu_array}, ...). */
    public String typeName() {
        return MapType.nameOf(type);
    }
}
