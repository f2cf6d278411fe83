package io.packetlens.ebpf;

import io.packetlens.ebpf.elf.ElfException;
import io.packetlens.lab.Bpffs;
import io.packetlens.lab.OpenFds;
import io.packetlens.testkit.KernelTest;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Wrong sizes, names, specs and files: each gives a clear exception and leaves no fd open and no pin behind. */
@KernelTest
class BadInputTest {
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

    /**
     * Runs {@code action} once to load every class it needs (class loading opens jar files), then again
     * counting fds: the second run must throw what {@code check} expects and leave the count unchanged.
     */
    private static void failsCleanly(ThrowingCallable action, Consumer<Throwable> check) {
        catchThrowable(action);
        int before = OpenFds.count();
        Throwable t = catchThrowable(action);
        int after = OpenFds.count();
        assertThat(t).as("expected a failure").isNotNull();
        check.accept(t);
        assertThat(after).as("open fds after the failure").isEqualTo(before);
    }

    @Test
    void wrongKeyAndValueSizesNameTheMapAndTheSizes() {
        try (BpfMap m = BpfMap.create(MapSpec.of("t_sizes", MapType.HASH, 4, 8, 4));
             BpfMap pcpu = BpfMap.create(MapSpec.of("t_sizes_pcpu", MapType.PERCPU_ARRAY, 4, 8, 4));
             Arena arena = Arena.ofConfined()) {
            failsCleanly(() -> m.lookup(new byte[8]), t -> assertThat(t).isInstanceOf(BpfException.class)
                    .hasMessage("map t_sizes: key is 8 bytes, key size is 4"));
            failsCleanly(() -> m.lookup(new byte[2]), t -> assertThat(t).hasMessage("map t_sizes: key is 2 bytes, key size is 4"));
            failsCleanly(() -> m.update(new byte[4], new byte[4]), t -> assertThat(t).isInstanceOf(BpfException.class)
                    .hasMessage("map t_sizes: value is 4 bytes, value size is 8"));
            failsCleanly(() -> m.update(new byte[4], new byte[9]), t -> assertThat(t).hasMessageContaining("value is 9 bytes"));
            failsCleanly(() -> m.update(new byte[3], new byte[8]), t -> assertThat(t).hasMessageContaining("key is 3 bytes"));
            failsCleanly(() -> m.delete(new byte[5]), t -> assertThat(t).hasMessageContaining("key is 5 bytes"));
            // native segments may be larger than needed (reused buffers), never smaller
            MemorySegment k2 = arena.allocate(2), k4 = arena.allocate(4), v4 = arena.allocate(4), v8 = arena.allocate(8);
            failsCleanly(() -> m.lookup(k2, v8), t -> assertThat(t).hasMessage("map t_sizes: key is 2 bytes, key size is 4"));
            failsCleanly(() -> m.lookup(k4, v4), t -> assertThat(t).hasMessage("map t_sizes: value buffer is 4 bytes, needs 8"));
            failsCleanly(() -> m.update(k4, v4), t -> assertThat(t).hasMessageContaining("t_sizes").hasMessageContaining("needs 8"));
            failsCleanly(() -> m.lookupAndDelete(k2, v8), t -> assertThat(t).hasMessageContaining("key is 2 bytes"));
            failsCleanly(() -> m.nextKey(null, k2), t -> assertThat(t).hasMessageContaining("key is 2 bytes"));
            // a per-CPU value is one slot per possible CPU: a single value's worth is refused and explained
            int cpus = io.packetlens.ebpf.cpu.Cpus.possible();
            failsCleanly(() -> pcpu.update(new byte[4], new byte[8]), t -> assertThat(t)
                    .hasMessage("map t_sizes_pcpu: value is 8 bytes, value size is " + cpus * 8 + " (per-CPU: " + cpus + " CPUs x 8)"));
            failsCleanly(() -> pcpu.lookup(k4, v8), t -> assertThat(t).hasMessageContaining("per-CPU"));
            assertThat(m.keys()).isEmpty(); // nothing reached the map
        }
    }

    @Test
    void unknownNamesListTheAvailableOnes() {
        ObjectSpec spec = TestObjects.loaderTest();
        failsCleanly(() -> spec.map("nope"), t -> assertThat(t).isInstanceOf(BpfException.NotFoundException.class)
                .hasMessageContaining("loader_test.bpf.o").hasMessageContaining("'nope'")
                .hasMessageContaining("verdicts").hasMessageContaining("by_port").hasMessageContaining(".rodata"));
        failsCleanly(() -> spec.program("nope"), t -> assertThat(t).isInstanceOf(BpfException.NotFoundException.class)
                .hasMessageContaining("xdp_filter").hasMessageContaining("tc_pass"));
        failsCleanly(() -> spec.variable("nope"), t -> assertThat(t).isInstanceOf(BpfException.NotFoundException.class)
                .hasMessageContaining("blocked_port"));
        try (BpfObject obj = spec.load(LoadOptions.defaults().pinPath(bpffs))) {
            failsCleanly(() -> obj.map("nope"), t -> assertThat(t).isInstanceOf(BpfException.NotFoundException.class)
                    .hasMessageContaining("'nope'").hasMessageContaining("pinned_cfg").hasMessageContaining("prefixes"));
            failsCleanly(() -> obj.program("nope"), t -> assertThat(t).isInstanceOf(BpfException.NotFoundException.class)
                    .hasMessageContaining("xdp_magic"));
        }
    }

    @Test
    void invalidMapSpecsAreRejectedWithAHint() {
        failsCleanly(() -> BpfMap.create(MapSpec.of("t_bad_array", MapType.ARRAY, 8, 4, 4)), t -> assertThat(t)
                .isInstanceOf(BpfException.class).hasMessageContaining("t_bad_array").hasMessageContaining("ARRAY key=8")
                .hasMessageContaining("EINVAL").hasMessageContaining("check key/value sizes and flags for ARRAY"));
        failsCleanly(() -> BpfMap.create(MapSpec.of("t_bad_hash", MapType.HASH, 4, 0, 4)), t -> assertThat(t)
                .isInstanceOf(BpfException.class).hasMessageContaining("value=0").hasMessageContaining("EINVAL"));
        failsCleanly(() -> BpfMap.create(MapSpec.of("t_bad_max", MapType.HASH, 4, 4, 0)), t -> assertThat(t)
                .isInstanceOf(BpfException.class).hasMessageContaining("max=0").hasMessageContaining("EINVAL"));
        assertThat(((BpfException) catchThrowable(() -> BpfMap.create(MapSpec.of("t_bad", MapType.ARRAY, 8, 4, 4)))).errno())
                .isEqualTo(io.packetlens.ebpf.Errno.EINVAL);
    }

    @Test
    void corruptObjectsGiveElfExceptions() throws Exception {
        byte[] random = new byte[4096];
        new Random(42).nextBytes(random);
        failsCleanly(() -> ObjectSpec.read("random", random), t -> assertThat(t).isInstanceOf(ElfException.class)
                .hasMessageContaining("not an ELF file"));
        byte[] elfMagicThenNoise = random.clone();
        System.arraycopy(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1}, 0, elfMagicThenNoise, 0, 7);
        failsCleanly(() -> ObjectSpec.read("noise", elfMagicThenNoise), t -> assertThat(t).isInstanceOf(ElfException.class));
        failsCleanly(() -> ObjectSpec.read("empty", new byte[0]), t -> assertThat(t).isInstanceOf(ElfException.class));

        byte[] good = TestObjects.bytes("/bpf/loader_test.bpf.o");
        for (int len : new int[] {1, 16, 63, 64, 1000, good.length / 2, good.length - 64, good.length - 1}) {
            byte[] truncated = Arrays.copyOf(good, len);
            failsCleanly(() -> ObjectSpec.read("truncated", truncated), t -> assertThat(t).as("truncated to %d", len)
                    .isInstanceOf(ElfException.class));
        }
        // an ELF file for another machine: the message says what to do
        failsCleanly(() -> ObjectSpec.read(Path.of("/bin/true")), t -> assertThat(t).isInstanceOf(ElfException.class)
                .hasMessageContaining("not BPF").hasMessageContaining("clang -target bpf"));
    }

    /** Random damage to a real object never escapes as anything but a BpfException (ElfException, BtfException ...). */
    @Test
    void damagedObjectsNeverThrowAnythingButBpfExceptions() throws Exception {
        for (String resource : List.of("/bpf/loader_test.bpf.o", "/bpf/codec_test.bpf.o")) {
            byte[] good = TestObjects.bytes(resource);
            Random rnd = new Random(resource.hashCode());
            int rejected = 0;
            for (int i = 0; i < 3000; i++) {
                byte[] bad = good.clone();
                for (int f = 1 + rnd.nextInt(4); f > 0; f--) bad[rnd.nextInt(bad.length)] = (byte) rnd.nextInt(256);
                if (i % 3 == 0) bad = Arrays.copyOf(bad, rnd.nextInt(bad.length));
                byte[] input = bad;
                Throwable t = catchThrowable(() -> ObjectSpec.read("damaged", input));
                if (t != null) {
                    rejected++;
                    assertThat(t).as("damage #%d of %s", i, resource).isInstanceOf(BpfException.class);
                }
            }
            assertThat(rejected).isGreaterThan(1000);
        }
    }

    @Test
    void missingObjectsAreNotFound() {
        failsCleanly(() -> ObjectSpec.fromResource(TestObjects.class, "/bpf/no_such.bpf.o"), t -> assertThat(t)
                .isInstanceOf(BpfException.NotFoundException.class).hasMessageContaining("/bpf/no_such.bpf.o"));
        failsCleanly(() -> ObjectSpec.read(Path.of("/nonexistent/x.bpf.o")), t -> assertThat(t)
                .isInstanceOf(BpfException.NotFoundException.class).hasMessageContaining("/nonexistent/x.bpf.o"));
    }

    @Test
    void aLoadThatFailsPartWayLeavesNoFdsAndNoPins() throws Exception {
        ObjectSpec spec = TestObjects.loaderTest();
        assertThat(spec.programs().keySet()).containsExactly("xdp_filter", "xdp_magic", "xdp_loop", "tc_pass");
        // a sysctl program must return 0 or 1; xdp_magic returns XDP_PASS or XDP_TX
        spec.program("xdp_magic").type(ProgramType.CGROUP_SYSCTL).attachType(null);
        failsCleanly(() -> spec.load(LoadOptions.defaults().pinPath(bpffs)), t -> assertThat(t)
                .isInstanceOfSatisfying(VerifierException.class, e -> assertThat(e.log()).contains("R0"))
                .hasMessageContaining("xdp_magic"));
        assertThat(bpffs.resolve("pinned_cfg")).doesNotExist(); // the map the load pinned was unpinned again

        // a pin that existed before the failed load is the caller's: it stays
        try (BpfObject ok = TestObjects.loaderTest().load(LoadOptions.defaults().pinPath(bpffs))) {
            ok.map("pinned_cfg").update(new byte[4], new byte[] {5, 0, 0, 0});
        }
        failsCleanly(() -> spec.load(LoadOptions.defaults().pinPath(bpffs)), t -> assertThat(t).isInstanceOf(VerifierException.class));
        assertThat(bpffs.resolve("pinned_cfg")).exists();
        try (BpfMap pinned = BpfMap.openPinned(bpffs.resolve("pinned_cfg"))) {
            assertThat(pinned.lookup(new byte[4])).hasValue(new byte[] {5, 0, 0, 0});
        }
    }

    @Test
    void anIncompatiblePinFailsTheLoadWithoutLeaks() throws Exception {
        try (BpfMap other = BpfMap.create(MapSpec.of("pinned_cfg", MapType.HASH, 4, 8, 16))) {
            other.pin(bpffs.resolve("pinned_cfg"));
        }
        ObjectSpec spec = TestObjects.loaderTest();
        failsCleanly(() -> spec.load(LoadOptions.defaults().pinPath(bpffs)), t -> assertThat(t)
                .isInstanceOf(BpfException.class).hasMessageContaining("incompatible").hasMessageContaining("remove the pin"));
        assertThat(bpffs.resolve("pinned_cfg")).exists();
    }

    @Test
    void closedMapsRefuseUse() {
        BpfMap m = BpfMap.create(MapSpec.of("t_closed", MapType.HASH, 4, 4, 4));
        m.close();
        m.close(); // closing twice is harmless
        assertThatThrownBy(() -> m.lookup(new byte[4])).isInstanceOf(BpfException.class).hasMessageContaining("closed");
    }
}
