package io.packetlens.guard;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.MapSpec;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.link.XdpChain;
import io.packetlens.ebpf.link.XdpChainOptions;
import io.packetlens.ebpf.netns.NetworkNamespace;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Where a pinned guard sits in interfaces' XDP chains, kept beside its maps ({@code guard_attachments}, an array
 * pinned in the guard's directory) so that whoever removes the guard later, from any process, can take it out of
 * those chains: the chain members themselves are pinned in each interface's chain directory, not here.
 *
 * <pre>
 *   0  u8 used   1  char ifname[16]   17  char netns[111]      (128 bytes per entry, 64 entries)
 * </pre>
 */
final class GuardAttachments {
    static final String MAP = "guard_attachments";
    static final int ENTRIES = 64, SIZE = 128, IFNAME = 1, IFNAME_BYTES = 16, NETNS = 17, NETNS_BYTES = 111;

    private GuardAttachments() {}

    /** Notes that the guard pinned in {@code dir} is a member of {@code ifname}'s chain in {@code netns} (null: the process's own). */
    static synchronized void record(Path dir, String netns, String ifname) {
        try (BpfMap m = openOrCreate(dir); Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(4, 4), v = arena.allocate(SIZE, 8);
            int free = -1;
            for (int i = 0; i < ENTRIES; i++) {
                key.set(JAVA_INT, 0, i);
                m.lookup(key, v);
                if (v.get(JAVA_BYTE, 0) == 0) {
                    if (free < 0) free = i;
                } else if (text(v, IFNAME, IFNAME_BYTES).equals(ifname) && text(v, NETNS, NETNS_BYTES).equals(netns == null ? "" : netns)) {
                    return;
                }
            }
            if (free < 0) throw new IllegalStateException("a guard takes at most " + ENTRIES + " interfaces");
            v.fill((byte) 0);
            v.set(JAVA_BYTE, 0, (byte) 1);
            put(v, IFNAME, IFNAME_BYTES, ifname);
            put(v, NETNS, NETNS_BYTES, netns == null ? "" : netns);
            key.set(JAVA_INT, 0, free);
            m.update(key, v);
        }
    }

    /**
     * Takes the guard out of every chain it was recorded in (entering each interface's namespace) and forgets them;
     * returns how many it left. Interfaces or namespaces that are gone are forgotten all the same.
     */
    static synchronized int leaveChains(Path dir, Path chainRoot) {
        Path pin = dir.resolve(MAP);
        if (!Files.exists(pin)) return 0;
        int n = 0;
        try (BpfMap m = BpfMap.openPinned(pin); Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(4, 4), v = arena.allocate(SIZE, 8);
            for (int i = 0; i < ENTRIES; i++) {
                key.set(JAVA_INT, 0, i);
                if (!m.lookup(key, v) || v.get(JAVA_BYTE, 0) == 0) continue;
                String ifname = text(v, IFNAME, IFNAME_BYTES), netns = text(v, NETNS, NETNS_BYTES);
                try {
                    if (netns.isEmpty()) leave(ifname, chainRoot);
                    else NetworkNamespace.of(netns).call(() -> {
                        leave(ifname, chainRoot);
                        return null;
                    });
                    n++;
                } catch (Exception gone) {
                    System.getLogger("packetlens.guard").log(System.Logger.Level.WARNING,
                            "guard: could not leave the XDP chain of " + ifname + (netns.isEmpty() ? "" : " in " + netns) + ": " + gone.getMessage());
                }
                v.fill((byte) 0);
                m.update(key, v);
            }
        }
        return n;
    }

    private static void leave(String ifname, Path chainRoot) {
        if (!XdpChain.exists(ifname, chainRoot)) return;
        try (XdpChain chain = XdpChain.open(ifname, XdpChainOptions.defaults().root(chainRoot))) {
            if (chain.slots().stream().anyMatch(s -> s.slot() == XdpChain.SLOT_GUARD)) chain.remove(XdpChain.SLOT_GUARD);
        }
    }

    private static BpfMap openOrCreate(Path dir) {
        Path pin = dir.resolve(MAP);
        if (Files.exists(pin)) return BpfMap.openPinned(pin);
        BpfMap m = BpfMap.create(MapSpec.of(MAP, MapType.ARRAY, 4, SIZE, ENTRIES));
        try {
            m.pin(pin);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
    }

    private static String text(MemorySegment v, int off, int len) {
        byte[] b = v.asSlice(off, len).toArray(JAVA_BYTE);
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    private static void put(MemorySegment v, int off, int len, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length >= len) throw new IllegalArgumentException("'" + s + "' is longer than " + (len - 1) + " bytes");
        MemorySegment.copy(b, 0, v, JAVA_BYTE, off, b.length);
    }
}
