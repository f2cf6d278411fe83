package io.packetlens.programs.filter;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Compiles a {@link CaptureFilter} into the entries of the maps declared in
 * {@code packetlens_filter.h} (filter_cfg, filter_protos, filter_addrs, filter_ports) of a
 * loaded object. Rewriting them changes the filter of a running program: the old entries
 * are removed, the new ones written, and the kinds word last, so the program never applies
 * a kind whose entries are missing.
 */
public final class FilterMaps {
    // struct pl_filter_cfg { u32 kinds; u32 families; u32 snaplen; u32 reserved; }
    static final int CFG_KINDS = 0, CFG_FAMILIES = 4, CFG_SNAPLEN = 8, CFG_SIZE = 16;
    // PL_K_* bits
    static final int K_FAMILY = 1, K_PROTO = 1 << 1, K_SRC_ADDR = 1 << 2, K_DST_ADDR = 1 << 3, K_ANY_ADDR = 1 << 4,
            K_SRC_PORT = 1 << 5, K_DST_PORT = 1 << 6, K_ANY_PORT = 1 << 7;
    static final int FAM_V4 = 1, FAM_V6 = 2;
    /** struct pl_addr_key { u32 prefixlen; u8 data[17]; } padded to 24 bytes; data[0] is the family tag. */
    static final int ADDR_KEY_SIZE = 24;

    private FilterMaps() {}

    /** Writes {@code filter} (and the mirror snap length) into the object's filter maps. */
    public static void write(BpfObject object, CaptureFilter filter, int snaplen) {
        BpfMap cfg = object.map("filter_cfg");
        BpfMap protos = object.map("filter_protos");
        BpfMap addrs = object.map("filter_addrs");
        BpfMap ports = object.map("filter_ports");

        for (byte[] k : addrs.keys()) addrs.delete(k);
        for (byte[] k : ports.keys()) ports.delete(k);
        for (int p = 0; p < 256; p++) protos.update(le32(p), le32(filter.protocols().contains(p) ? 1 : 0));
        for (Map.Entry<AddressTerm, Integer> e : lpmEntries(filter).entrySet()) addrs.update(addrKey(e.getKey()), le32(e.getValue()));
        Map<Integer, Integer> portDirs = new LinkedHashMap<>();
        for (PortTerm t : filter.ports()) portDirs.merge(t.port(), t.direction().bit, (a, b) -> a | b);
        for (Map.Entry<Integer, Integer> e : portDirs.entrySet()) {
            ports.update(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) (int) e.getKey()).array(), le32(e.getValue()));
        }
        ByteBuffer v = ByteBuffer.allocate(CFG_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        v.putInt(CFG_KINDS, kinds(filter));
        v.putInt(CFG_FAMILIES, (filter.families().contains(4) ? FAM_V4 : 0) | (filter.families().contains(6) ? FAM_V6 : 0));
        v.putInt(CFG_SNAPLEN, snaplen);
        cfg.update(le32(0), v.array());
    }

    /** The PL_K_* bits of the kinds present in {@code filter}. */
    static int kinds(CaptureFilter f) {
        int k = 0;
        if (!f.families().isEmpty()) k |= K_FAMILY;
        if (!f.protocols().isEmpty()) k |= K_PROTO;
        for (AddressTerm t : f.addresses()) k |= switch (t.direction()) { case SRC -> K_SRC_ADDR; case DST -> K_DST_ADDR; case ANY -> K_ANY_ADDR; };
        for (PortTerm t : f.ports()) k |= switch (t.direction()) { case SRC -> K_SRC_PORT; case DST -> K_DST_PORT; case ANY -> K_ANY_PORT; };
        return k;
    }

    /**
     * One LPM entry per distinct prefix, whose value ORs the direction bits of every term
     * whose prefix covers it: the trie answers a lookup with the longest match only, so a
     * /32 inside a /8 must also carry the /8's directions.
     */
    static Map<AddressTerm, Integer> lpmEntries(CaptureFilter f) {
        Map<AddressTerm, Integer> out = new LinkedHashMap<>();
        for (AddressTerm e : f.addresses()) {
            AddressTerm key = new AddressTerm(Direction.ANY, e.address(), e.prefixLength());
            int dirs = 0;
            for (AddressTerm t : f.addresses()) if (t.covers(e)) dirs |= t.direction().bit;
            out.merge(key, dirs, (a, b) -> a | b);
        }
        return out;
    }

    static byte[] addrKey(AddressTerm t) {
        ByteBuffer b = ByteBuffer.allocate(ADDR_KEY_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(8 + t.prefixLength());
        b.put((byte) (t.ipv6() ? 6 : 4));
        b.put(t.address());
        return b.array();
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }
}
