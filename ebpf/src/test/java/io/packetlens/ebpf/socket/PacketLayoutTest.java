package io.packetlens.ebpf.socket;

import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.btf.BtfType;
import io.packetlens.ebpf.tracing.KernelBtf;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The offsets {@link IfPacket} declares for the TPACKET_V3 ring and its neighbours, against the running kernel's own
 * layout of the same structures in its BTF (/sys/kernel/btf/vmlinux), as InfoLayoutTest does for bpf_attr: a wrong
 * constant fails here, not as misread frames.
 */
class PacketLayoutTest {
    private static Btf vmlinux;

    @BeforeAll
    static void readKernelBtf() throws Exception {
        assumeThat(KernelBtf.available()).as("kernel BTF at " + KernelBtf.VMLINUX).isTrue();
        vmlinux = Btf.parse(Files.readAllBytes(KernelBtf.VMLINUX));
    }

    private static BtfType struct(String name) {
        return vmlinux.findByName(BtfKind.STRUCT, name).orElseThrow(() -> new AssertionError("kernel BTF has no struct " + name));
    }

    /** Byte offset of a dotted member path in {@code outer}, looking through anonymous structs and unions. */
    private static long offset(String outer, String path) {
        int id = struct(outer).id();
        long bits = 0;
        for (String part : path.split("\\.")) {
            long[] found = find(id, part, 0);
            if (found == null) throw new AssertionError(outer + " has no member " + path);
            bits += found[0];
            id = (int) found[1];
        }
        assertThat(bits % 8).as(path + " is not a bit field").isZero();
        return bits / 8;
    }

    /** {bit offset, resolved type id} of {@code member} in struct or union {@code id}, or null. */
    private static long[] find(int id, String member, long base) {
        for (Btf.Member m : vmlinux.members(id)) {
            BtfType t = vmlinux.resolve(m.type());
            if (m.name().equals(member)) return new long[] {base + m.bitOffset(), t.id()};
            if (m.name().isEmpty() && (t.kind() == BtfKind.STRUCT || t.kind() == BtfKind.UNION)) {
                long[] inner = find(t.id(), member, base + m.bitOffset());
                if (inner != null) return inner;
            }
        }
        return null;
    }

    private static void check(String struct, int size, Map<String, Integer> expected) {
        Map<String, Long> kernel = new LinkedHashMap<>(), ours = new LinkedHashMap<>();
        expected.forEach((path, off) -> {
            kernel.put(path, offset(struct, path));
            ours.put(path, (long) off);
        });
        assertThat(ours).as(struct + " offsets (ours vs the running kernel's BTF)").isEqualTo(kernel);
        assertThat(vmlinux.sizeOf(struct(struct).id())).as("sizeof(struct " + struct + ")").isEqualTo(size);
    }

    @Test
    void tpacketReq3MatchesTheKernel() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("tp_block_size", IfPacket.Req3.BLOCK_SIZE); m.put("tp_block_nr", IfPacket.Req3.BLOCK_NR);
        m.put("tp_frame_size", IfPacket.Req3.FRAME_SIZE); m.put("tp_frame_nr", IfPacket.Req3.FRAME_NR);
        m.put("tp_retire_blk_tov", IfPacket.Req3.RETIRE_BLK_TOV); m.put("tp_sizeof_priv", IfPacket.Req3.SIZEOF_PRIV);
        m.put("tp_feature_req_word", IfPacket.Req3.FEATURE_REQ_WORD);
        check("tpacket_req3", IfPacket.Req3.SIZE, m);
    }

    @Test
    void blockDescriptorMatchesTheKernel() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("version", IfPacket.BlockDesc.VERSION); m.put("offset_to_priv", IfPacket.BlockDesc.OFFSET_TO_PRIV);
        m.put("hdr", IfPacket.BlockDesc.HDR);
        m.put("hdr.bh1.block_status", IfPacket.BlockDesc.BLOCK_STATUS); m.put("hdr.bh1.num_pkts", IfPacket.BlockDesc.NUM_PKTS);
        m.put("hdr.bh1.offset_to_first_pkt", IfPacket.BlockDesc.OFFSET_TO_FIRST_PKT); m.put("hdr.bh1.blk_len", IfPacket.BlockDesc.BLK_LEN);
        m.put("hdr.bh1.seq_num", IfPacket.BlockDesc.SEQ_NUM); m.put("hdr.bh1.ts_first_pkt", IfPacket.BlockDesc.TS_FIRST_PKT);
        m.put("hdr.bh1.ts_last_pkt", IfPacket.BlockDesc.TS_LAST_PKT);
        check("tpacket_block_desc", IfPacket.BlockDesc.HDR + IfPacket.BlockDesc.HDR_V1_SIZE, m);
        assertThat(vmlinux.sizeOf(struct("tpacket_hdr_v1").id())).isEqualTo(IfPacket.BlockDesc.HDR_V1_SIZE);
    }

    @Test
    void frameHeaderMatchesTheKernel() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("tp_next_offset", IfPacket.Hdr3.NEXT_OFFSET); m.put("tp_sec", IfPacket.Hdr3.SEC); m.put("tp_nsec", IfPacket.Hdr3.NSEC);
        m.put("tp_snaplen", IfPacket.Hdr3.SNAPLEN); m.put("tp_len", IfPacket.Hdr3.LEN); m.put("tp_status", IfPacket.Hdr3.STATUS);
        m.put("tp_mac", IfPacket.Hdr3.MAC); m.put("tp_net", IfPacket.Hdr3.NET); m.put("hv1", IfPacket.Hdr3.HV1);
        m.put("hv1.tp_rxhash", IfPacket.Hdr3.RXHASH); m.put("hv1.tp_vlan_tci", IfPacket.Hdr3.VLAN_TCI);
        m.put("hv1.tp_vlan_tpid", IfPacket.Hdr3.VLAN_TPID);
        check("tpacket3_hdr", IfPacket.Hdr3.SIZE, m);
        // the kernel writes the sockaddr_ll at TPACKET_ALIGN(sizeof(struct tpacket3_hdr)) (TPACKET3_HDRLEN)
        assertThat(IfPacket.Hdr3.SOCKADDR_LL).isEqualTo(IfPacket.align(IfPacket.Hdr3.SIZE));
    }

    @Test
    void statisticsAddressAndFilterMatchTheKernel() {
        Map<String, Integer> s = new LinkedHashMap<>();
        s.put("tp_packets", IfPacket.StatsV3.PACKETS); s.put("tp_drops", IfPacket.StatsV3.DROPS);
        s.put("tp_freeze_q_cnt", IfPacket.StatsV3.FREEZE_Q_CNT);
        check("tpacket_stats_v3", IfPacket.StatsV3.SIZE, s);
        Map<String, Integer> ll = new LinkedHashMap<>();
        ll.put("sll_family", IfPacket.SockaddrLl.FAMILY); ll.put("sll_protocol", IfPacket.SockaddrLl.PROTOCOL);
        ll.put("sll_ifindex", IfPacket.SockaddrLl.IFINDEX); ll.put("sll_hatype", IfPacket.SockaddrLl.HATYPE);
        ll.put("sll_pkttype", IfPacket.SockaddrLl.PKTTYPE); ll.put("sll_halen", IfPacket.SockaddrLl.HALEN);
        ll.put("sll_addr", IfPacket.SockaddrLl.ADDR);
        check("sockaddr_ll", IfPacket.SockaddrLl.SIZE, ll);
        assertThat(SocketAddresses.LL_IFINDEX).isEqualTo(IfPacket.SockaddrLl.IFINDEX);
        Map<String, Integer> fp = new LinkedHashMap<>();
        fp.put("len", IfPacket.SockFprog.LEN); fp.put("filter", IfPacket.SockFprog.FILTER);
        check("sock_fprog", IfPacket.SockFprog.SIZE, fp);
        Map<String, Integer> f = new LinkedHashMap<>();
        f.put("code", IfPacket.SockFilter.CODE); f.put("jt", IfPacket.SockFilter.JT); f.put("jf", IfPacket.SockFilter.JF);
        f.put("k", IfPacket.SockFilter.K);
        check("sock_filter", IfPacket.SockFilter.SIZE, f);
    }

    @Test
    void versionNumberMatchesTheKernel() {
        BtfType e = vmlinux.findByName(BtfKind.ENUM, "tpacket_versions").orElseThrow();
        long v3 = vmlinux.enumerators(e.id()).stream().filter(x -> x.name().equals("TPACKET_V3"))
                .mapToLong(Btf.Enumerator::value).findFirst().orElseThrow();
        assertThat(v3).isEqualTo(IfPacket.TPACKET_V3);
    }
}
