package io.packetlens.ebpf;

import io.packetlens.lab.Bpffs;
import io.packetlens.lab.OpenFds;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.packetlens.ebpf.MapTypesTest.u32;
import static io.packetlens.ebpf.MapTypesTest.u64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Pinning maps in a private bpffs and opening them again, and the errors for paths bpffs refuses. */
@KernelTest
class MapPinTest {
    private Path bpffs;
    private Path plainDir;

    @BeforeEach
    void mount() throws Exception {
        bpffs = Bpffs.mountPrivate(Files.createTempDirectory("pl-bpffs"));
        plainDir = Files.createTempDirectory("pl-notbpffs");
    }

    @AfterEach
    void unmount() throws Exception {
        Bpffs.unmount(bpffs);
        Files.deleteIfExists(bpffs);
        try (var files = Files.list(plainDir)) {
            for (Path p : files.toList()) Files.delete(p);
        }
        Files.deleteIfExists(plainDir);
    }

    @Test
    void pinnedMapOutlivesItsFdAndReopensWithShapeAndContents() {
        Path pin = bpffs.resolve("counters");
        int id;
        try (BpfMap m = BpfMap.create(MapSpec.of("t_pinned", MapType.HASH, 4, 8, 100).flags(MapSpec.F_NO_PREALLOC))) {
            for (int k = 0; k < 50; k++) m.update(u32(k), u64(k * 1000L));
            m.pin(pin);
            id = m.id();
        }
        assertThat(pin).exists();
        try (BpfMap m = BpfMap.openPinned(pin)) {
            assertThat(m.id()).isEqualTo(id);
            assertThat(m.name()).isEqualTo("t_pinned");
            assertThat(m.type()).isEqualTo(MapType.HASH);
            assertThat(m.keySize()).isEqualTo(4);
            assertThat(m.valueSize()).isEqualTo(8);
            assertThat(m.maxEntries()).isEqualTo(100);
            assertThat(m.flags()).isEqualTo(MapSpec.F_NO_PREALLOC);
            assertThat(m.keys()).hasSize(50);
            for (int k = 0; k < 50; k++) assertThat(m.lookup(u32(k))).hasValue(u64(k * 1000L));
            m.update(u32(99), u64(99));
        }
        // a second open sees the write of the first: both are the same kernel map
        try (BpfMap m = BpfMap.openPinned(pin)) {
            assertThat(m.lookup(u32(99))).hasValue(u64(99));
        }
    }

    @Test
    void perCpuAndLpmMapsReopenWithTheirType() {
        try (BpfMap a = BpfMap.create(MapSpec.of("t_pin_pcpu", MapType.PERCPU_ARRAY, 4, 16, 3));
             BpfMap l = BpfMap.create(MapSpec.of("t_pin_lpm", MapType.LPM_TRIE, 8, 4, 8).flags(MapSpec.F_NO_PREALLOC))) {
            a.pin(bpffs.resolve("pcpu"));
            l.pin(bpffs.resolve("lpm"));
        }
        try (BpfMap a = BpfMap.openPinned(bpffs.resolve("pcpu"));
             BpfMap l = BpfMap.openPinned(bpffs.resolve("lpm"))) {
            assertThat(a.type()).isEqualTo(MapType.PERCPU_ARRAY);
            assertThat(a.valueSize()).isEqualTo(16);
            assertThat(a.lookupValueSize()).isEqualTo(16 * io.packetlens.ebpf.cpu.Cpus.possible());
            assertThat(a.maxEntries()).isEqualTo(3);
            assertThat(l.type()).isEqualTo(MapType.LPM_TRIE);
            assertThat(l.keySize()).isEqualTo(8);
            assertThat(l.flags()).isEqualTo(MapSpec.F_NO_PREALLOC);
        }
    }

    @Test
    void pinNameWithADotIsRefusedClearly() throws Exception {
        try (BpfMap m = BpfMap.create(MapSpec.of("t_pin_dot", MapType.ARRAY, 4, 4, 1))) {
            assertThatThrownBy(() -> m.pin(bpffs.resolve("my.map")))
                    .isInstanceOf(BpfException.class)
                    .isNotInstanceOf(BpfException.PermissionException.class)
                    .hasMessageContaining("my.map")
                    .hasMessageContaining("names containing '.'")
                    .hasMessageNotContaining("CAP_BPF");
            // (stat of "my.map" itself fails with EPERM on bpffs, so look at the listing; dotted names are the kernel's own)
            try (var names = Files.list(bpffs)) {
                assertThat(names.map(p -> p.getFileName().toString())).doesNotContain("my.map");
            }
        }
    }

    @Test
    void pinOutsideBpffsIsRefusedClearly() {
        try (BpfMap m = BpfMap.create(MapSpec.of("t_pin_tmp", MapType.ARRAY, 4, 4, 1))) {
            assertThatThrownBy(() -> m.pin(plainDir.resolve("m")))
                    .isInstanceOf(BpfException.class)
                    .isNotInstanceOf(BpfException.PermissionException.class)
                    .hasMessageContaining(plainDir.toString())
                    .hasMessageContaining("not on a bpf file system")
                    .hasMessageContaining("mount -t bpf")
                    .hasMessageNotContaining("CAP_BPF");
            assertThatThrownBy(() -> m.pin(bpffs.resolve("no/such/dir/m")))
                    .isInstanceOf(BpfException.NotFoundException.class)
                    .hasMessageContaining("does not exist");
        }
    }

    @Test
    void pinningTwiceAtOnePathAndOpeningMissingOrForeignPins() throws Exception {
        int before = OpenFds.count();
        try (BpfMap m = BpfMap.create(MapSpec.of("t_pin_twice", MapType.ARRAY, 4, 4, 1));
             BpfObject obj = TestObjects.loaderTest().load(LoadOptions.defaults().pinPath(bpffs))) {
            m.pin(bpffs.resolve("m"));
            assertThatThrownBy(() -> m.pin(bpffs.resolve("m"))).isInstanceOf(BpfException.AlreadyExistsException.class);
            assertThatThrownBy(() -> BpfMap.openPinned(bpffs.resolve("missing")))
                    .isInstanceOf(BpfException.NotFoundException.class).hasMessageContaining("missing");
            // a pinned program is not a map: refused, with nothing left open
            obj.program("xdp_filter").pin(bpffs.resolve("prog"));
            int open = OpenFds.count();
            assertThatThrownBy(() -> BpfMap.openPinned(bpffs.resolve("prog")))
                    .isInstanceOf(BpfException.class).hasMessageContaining("prog").hasMessageContaining("not a BPF map");
            assertThat(OpenFds.count()).isEqualTo(open);
        }
        assertThat(OpenFds.count()).isEqualTo(before);
    }
}
