package io.packetlens.ebpf;

import com.fasterxml.jackson.databind.JsonNode;
import io.packetlens.ebpf.info.BpfStats;
import io.packetlens.ebpf.info.ProgramInfo;
import io.packetlens.ebpf.info.ProgramStatsReader;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** BPF_ENABLE_STATS as a handle: the kernel counts every run while it is open, as bpftool reads back. */
@KernelTest
class BpfStatsTest {
    private static final byte[] FRAME = new byte[64];

    @Test
    void everyRunIsCountedWhileTheHandleIsOpen() throws Exception {
        try (BpfObject obj = ObjectSpec.fromResource(BpfStatsTest.class, "/bpf/info_test.bpf.o").load()) {
            BpfProgram p = obj.program("info_xdp");
            ProgramStatsReader reader = new ProgramStatsReader(List.of(p.id()));
            try (BpfStats stats = BpfStats.enable()) {
                assertThat(stats.isOpen()).isTrue();
                ProgramInfo before = p.info();
                p.testRun(TestRun.of(FRAME).repeat(1000));
                ProgramInfo after = p.info();
                assertThat(after.runCount() - before.runCount()).isEqualTo(1000);
                assertThat(after.runTimeNs()).isGreaterThan(before.runTimeNs());
                JsonNode j = Bpftool.json("prog", "show", "id", String.valueOf(p.id()));
                assertThat(j.get("run_cnt").asLong()).isEqualTo(after.runCount());
                assertThat(j.get("run_time_ns").asLong()).isEqualTo(after.runTimeNs());
                ProgramStatsReader.Sample s = reader.read().getFirst();
                assertThat(s.runCount()).isEqualTo(after.runCount());
                assertThat(s.runTimeNs()).isEqualTo(after.runTimeNs());
                assertThat(s.name()).isEqualTo("info_xdp");
            }
            // off again, unless someone else keeps statistics on (the sysctl, or another process's handle)
            if (!BpfStats.sysctlEnabled() && !otherStatsHandles()) {
                long n = p.info().runCount();
                p.testRun(TestRun.of(FRAME).repeat(100));
                assertThat(p.info().runCount()).as("not counted after close").isEqualTo(n);
            }
        }
        assertThat(new ProgramStatsReader(List.of(Integer.MAX_VALUE)).read()).isEmpty();
    }

    /** Whether any process holds a BPF_ENABLE_STATS fd (anon_inode:bpf-stats). */
    private static boolean otherStatsHandles() throws IOException {
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : procs) {
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
                    for (Path fd : fds) {
                        try {
                            if (Files.readSymbolicLink(fd).toString().equals("anon_inode:bpf-stats")) return true;
                        } catch (IOException ignored) {
                            // closed meanwhile
                        }
                    }
                } catch (IOException ignored) {
                    // exited meanwhile
                }
            }
        }
        return false;
    }
}
