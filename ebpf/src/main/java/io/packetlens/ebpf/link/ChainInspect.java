package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.btf.BtfType;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What a loaded program says about its place in a chain, read back from the kernel: the maps it uses (is its
 * {@code pl_xdp_chain} this chain's?) and the slot its {@code .rodata} was frozen with (read through the program's
 * BTF, which names the offset of {@code pl_xdp_chain_slot}). Lets {@link XdpChain#install} refuse a program that was
 * loaded for another chain or another slot, which would otherwise skip members or run one twice.
 */
final class ChainInspect {
    private static final int MAX_MAPS = 64;

    private ChainInspect() {}

    /** Ids of the maps the program uses (struct bpf_prog_info map_ids). */
    static List<Integer> mapIds(BpfProgram program) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ids = arena.allocate(4L * MAX_MAPS, 4);
            MemorySegment info = arena.allocate(BpfAttr.ProgInfo.SIZE, 8);
            info.set(JAVA_INT, BpfAttr.ProgInfo.NR_MAP_IDS, MAX_MAPS);
            info.set(JAVA_LONG, BpfAttr.ProgInfo.MAP_IDS, ids.address());
            Bpf.info(program.fd(), info);
            int n = Math.min(info.get(JAVA_INT, BpfAttr.ProgInfo.NR_MAP_IDS), MAX_MAPS);
            List<Integer> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) out.add(ids.getAtIndex(JAVA_INT, i));
            return out;
        }
    }

    /** The program's {@code pl_xdp_chain_slot} as frozen at load, if its BTF and {@code .rodata} tell. */
    static OptionalInt preparedSlot(BpfProgram program, List<Integer> mapIds) {
        Optional<Btf> btf = programBtf(program);
        if (btf.isEmpty()) return OptionalInt.empty();
        Btf b = btf.get();
        for (BtfType sec : b.types()) {
            if (sec.kind() != BtfKind.DATASEC || !sec.name().endsWith(".rodata")) continue;
            for (Btf.SecInfo v : b.datasec(sec.id())) {
                if (!b.type(v.varType()).name().equals(XdpChain.SLOT_VARIABLE) || v.size() != 4) continue;
                for (int id : mapIds) {
                    Optional<BpfMap> m = BpfMap.findById(id);
                    if (m.isEmpty()) continue;
                    try (BpfMap map = m.get(); Arena arena = Arena.ofConfined()) {
                        if (!map.name().endsWith(".rodata") || map.valueSize() < v.offset() + 4 || map.keySize() != 4) continue;
                        MemorySegment key = arena.allocate(4, 4);
                        MemorySegment value = arena.allocate(map.valueSize(), 8);
                        if (map.lookup(key, value)) return OptionalInt.of(value.get(JAVA_INT, v.offset()));
                    }
                }
            }
        }
        return OptionalInt.empty();
    }

    /** The BTF the program was loaded with, or empty (also when it cannot be read). */
    private static Optional<Btf> programBtf(BpfProgram program) {
        try {
            return program.btf();
        } catch (BpfException e) {
            return Optional.empty();
        }
    }
}
