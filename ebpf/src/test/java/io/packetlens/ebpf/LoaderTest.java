package io.packetlens.ebpf;

import io.packetlens.ebpf.features.KernelVersion;
import io.packetlens.lab.Bpffs;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loading a real clang-compiled object: maps, global data, subprograms, .rodata configuration, verifier rejection. */
@KernelTest
class LoaderTest {
    private Path bpffs;

    @BeforeEach
    void mount() throws Exception {
        bpffs = Bpffs.mountPrivate(Files.createTempDirectory("pl-bpffs"));
    }

    @AfterEach
    void unmount() throws Exception {
        Bpffs.unmount(bpffs);
        Files.deleteIfExists(bpffs);
    }

    private LoadOptions options() {
        return LoadOptions.defaults().pinPath(bpffs);
    }

    @Test
    void anObjectOfMapsAloneCreatesAndPinsItsMaps() {
        ObjectSpec spec = ObjectSpec.fromResource(LoaderTest.class, "/bpf/maps_only.bpf.o");
        assertThat(spec.programs()).isEmpty();
        try (BpfObject obj = spec.load(options())) {
            assertThat(obj.programs()).isEmpty();
            assertThat(obj.map("shared_filter").maxEntries()).isEqualTo(64);
            assertThat(obj.map("shared_config").maxEntries()).isEqualTo(4);
            assertThat(bpffs.resolve("shared_config")).as("pinned by name").exists();
        }
    }

    @Test
    void aHiddenGlobalFunctionIsVerifiedInItsCallersContextAsLibbpfDoes() {
        ObjectSpec spec = ObjectSpec.fromResource(LoaderTest.class, "/bpf/hidden_func.bpf.o");
        try (BpfObject obj = spec.load(options())) {
            assertThat(obj.program("xdp_hidden").testRun(TestRun.of(new byte[64])).retval()).as("XDP_PASS").isEqualTo(2);
        }
    }

    @Test
    void specDescribesMapsProgramsAndVariables() {
        ObjectSpec spec = TestObjects.loaderTest();
        assertThat(spec.programs().keySet()).containsExactly("xdp_filter", "xdp_magic", "xdp_loop", "tc_pass");
        assertThat(spec.program("xdp_filter").type()).isEqualTo(ProgramType.XDP);
        assertThat(spec.program("tc_pass").type()).isEqualTo(ProgramType.SCHED_CLS);
        assertThat(spec.program("xdp_filter").hasLineInfo()).isTrue();
        assertThat(spec.map("by_port").type()).isEqualTo(MapType.HASH);
        assertThat(spec.map("by_port").keySize()).isEqualTo(2);
        assertThat(spec.map("by_port").valueSize()).isEqualTo(16);
        assertThat(spec.map("prefixes").type()).isEqualTo(MapType.LPM_TRIE);
        assertThat(spec.map("prefixes").flags()).isEqualTo(MapSpec.F_NO_PREALLOC);
        assertThat(spec.map("pinned_cfg").pinning()).isEqualTo(Pinning.BY_NAME);
        assertThat(spec.map(".rodata").freeze()).isTrue();
        assertThat(spec.variable("blocked_port").size()).isEqualTo(2);
        assertThat(spec.variable("blocked_port").isConstant()).isTrue();
        assertThat(spec.variable("last_len").getLong()).isEqualTo(7);
        // both programs call the .text subprogram, so each got its own copy appended
        assertThat(spec.program("xdp_magic").mapReferences()).extracting(MapReference::map).contains("verdicts", ".rodata");
    }

    @Test
    void rodataConfiguresTheProgramBeforeLoad() {
        ObjectSpec spec = TestObjects.loaderTest();
        spec.variable("blocked_port").set(53);
        try (BpfObject obj = spec.load(options())) {
            assertThat(obj.program("xdp_filter").testRun(TestRun.of(Frames.ipv4Udp(53, 10))).xdpAction()).isEqualTo(XdpAction.DROP);
            assertThat(obj.program("xdp_filter").testRun(TestRun.of(Frames.ipv4Udp(54, 10))).xdpAction()).isEqualTo(XdpAction.PASS);
            assertThat(obj.program("xdp_magic").testRun(TestRun.of(Frames.arp())).xdpAction()).isEqualTo(XdpAction.PASS);
            // .rodata is frozen: user space cannot change the constant after load
            assertThatThrownBy(() -> obj.map(".rodata").update(new byte[4], new byte[8])).isInstanceOf(BpfException.class);
        }
        spec.variable("magic").set(0x5eed);
        try (BpfObject obj = spec.load(options())) {
            assertThat(obj.program("xdp_magic").testRun(TestRun.of(Frames.arp())).xdpAction()).isEqualTo(XdpAction.TX);
        }
    }

    @Test
    void programsUpdateMapsAndGlobalData() {
        ObjectSpec spec = TestObjects.loaderTest();
        spec.variable("blocked_port").set(7);
        try (BpfObject obj = spec.load(options())) {
            BpfProgram p = obj.program("xdp_filter");
            TestRun.Result r = p.testRun(TestRun.of(Frames.ipv4Udp(7, 100)).repeat(10));
            assertThat(r.xdpAction()).isEqualTo(XdpAction.DROP);
            assertThat(r.dataOut()).isEqualTo(Frames.ipv4Udp(7, 100));
            p.testRun(TestRun.of(Frames.ipv4Udp(8, 100)));
            p.testRun(TestRun.of(Frames.arp()));
            record PortStats(long packets, long bytes) {}
            var byPort = obj.map("by_port").typed(Codec.U16, Codec.ofRecord(PortStats.class));
            assertThat(byPort.get((short) 7)).contains(new PortStats(10, 10 * 142));
            assertThat(byPort.get((short) 8)).contains(new PortStats(1, 142));
            var verdicts = obj.map("verdicts").typed(Codec.U32, Codec.U64);
            assertThat(verdicts.get(XdpAction.DROP.ordinal())).contains(10L);
            assertThat(verdicts.get(XdpAction.PASS.ordinal())).contains(2L);
            assertThat(verdicts.get(XdpAction.ABORTED.ordinal())).contains(0L);
            long perCpuTotal = obj.map("percpu_packets").typed(Codec.U32, Codec.U64).getPerCpu(0).stream().mapToLong(Long::longValue).sum();
            assertThat(perCpuTotal).isEqualTo(12);
            // .bss and .data are ordinary maps: the program's writes are visible
            var bss = obj.map(".bss").lookup(new byte[4]).orElseThrow();
            assertThat(java.nio.ByteBuffer.wrap(bss).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong()).isEqualTo(12);
            var data = obj.map(".data").lookup(new byte[4]).orElseThrow();
            assertThat(java.nio.ByteBuffer.wrap(data).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong()).isEqualTo(42); // last_len: the ARP frame
        }
    }

    /** A bpf_loop callback (a function pointer into .text) is linked into the program and called by the kernel. */
    @Test
    void callbacksOfBpfLoopAreLinkedAsFunctionPointers() {
        try (BpfObject obj = TestObjects.loaderTest().retainPrograms(java.util.List.of("xdp_loop")).load(options())) {
            assertThat(obj.program("xdp_loop").testRun(TestRun.of(new byte[64])).retval()).isEqualTo(2); // XDP_PASS: the sum was 45
        }
    }

    @Test
    void testRunRefusesFramesShorterThanEthernet() {
        try (BpfObject obj = TestObjects.loaderTest().load(options())) {
            assertThatThrownBy(() -> obj.program("xdp_filter").testRun(TestRun.of(new byte[10])))
                    .isInstanceOf(BpfException.class).hasMessageContaining("xdp_filter").hasMessageContaining("EINVAL");
        }
    }

    @Test
    void verifierRejectionCarriesTheLogWithSourceLines() {
        assertThatThrownBy(() -> TestObjects.reject().load(options()))
                .isInstanceOfSatisfying(VerifierException.class, e -> {
                    assertThat(e.getMessage()).contains("xdp_unchecked").contains("rejected by the kernel verifier");
                    assertThat(e.log()).contains("invalid access to packet");
                    // BTF line info: the offending C line, and since 6.9 the verifier appends " @ file:line" to it
                    assertThat(e.log()).contains("return data[20] == 0x11 ? XDP_DROP : XDP_PASS; /* no data_end check */");
                    if (KernelVersion.current().atLeast(6, 9)) assertThat(e.log()).contains("no data_end check */ @ reject.bpf.c:11");
                });
    }

    @Test
    void pinnedMapIsCreatedThenReusedByTheNextLoad() {
        ObjectSpec spec = TestObjects.loaderTest();
        try (BpfObject first = spec.load(options())) {
            assertThat(bpffs.resolve("pinned_cfg")).exists();
            first.map("pinned_cfg").update(new byte[] {0, 0, 0, 0}, new byte[] {42, 0, 0, 0});
        }
        try (BpfObject second = spec.load(options())) {
            assertThat(second.map("pinned_cfg").lookup(new byte[4])).hasValueSatisfying(v -> assertThat(v[0]).isEqualTo((byte) 42));
            // the tc program reads the pinned value
            TestRun.Result r = second.program("tc_pass").testRun(TestRun.of(Frames.ipv4Udp(1, 0)));
            assertThat(r.retval()).isEqualTo(42);
        }
    }

    @Test
    void programPinReopensInALaterHandleAndRefusesMaps() {
        try (BpfObject obj = TestObjects.loaderTest().load(options())) {
            obj.program("xdp_magic").pin(bpffs.resolve("magic"));
            obj.map("verdicts").pin(bpffs.resolve("verdicts"));
        }
        try (BpfProgram p = BpfProgram.openPinned(bpffs.resolve("magic"))) {
            assertThat(p.type()).isEqualTo(ProgramType.XDP);
            assertThat(p.name()).isEqualTo("xdp_magic");
            assertThat(p.testRun(TestRun.of(Frames.arp())).xdpAction()).isEqualTo(XdpAction.PASS);
        }
        assertThatThrownBy(() -> BpfProgram.openPinned(bpffs.resolve("verdicts")))
                .isInstanceOf(BpfException.class).hasMessageContaining("not a BPF program");
    }
}
