package io.packetlens.programs;

import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The objects packetlens ships (flow, guard, capture, trafficgen, sockmap proxy, packet counter), loaded as they
 * are by packetlens and by libbpf (bpftool prog loadall): the kernel's program tags must be equal, program by program.
 */
@KernelTest
class ShippedObjectsParityTest {
    private static final List<String> OBJECTS = List.of("flow", "guard", "xdp_count", "xsk_capture", "trafficgen_live", "sockmap_proxy");
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("\"name\":\"([^\"]+)\""),
            TAG = java.util.regex.Pattern.compile("\"tag\":\"([0-9a-f]+)\"");

    @Test
    void everyShippedObjectGetsLibbpfsProgramTags() throws Exception {
        for (String name : OBJECTS) {
            String resource = "/io/packetlens/programs/" + name + ".bpf.o";
            Path file = Files.createTempFile("pl-parity-" + name, ".bpf.o");
            try (var in = ShippedObjectsParityTest.class.getResourceAsStream(resource)) {
                assertThat(in).as(resource).isNotNull();
                Files.write(file, in.readAllBytes());
                Map<String, String> libbpf = libbpfTags(file, name);
                Map<String, String> ours = new TreeMap<>();
                try (BpfObject obj = ObjectSpec.read(file).load()) {
                    obj.programs().values().forEach(p -> ours.put(p.info().name(), p.tag()));
                }
                assertThat(ours).as(name + ": packetlens's program tags against libbpf's").isEqualTo(libbpf).isNotEmpty();
            } finally {
                Files.deleteIfExists(file);
            }
        }
    }

    private static Map<String, String> libbpfTags(Path object, String name) throws Exception {
        Path pins = Path.of("/sys/fs/bpf", "pl-parity-" + ProcessHandle.current().pid() + "-" + name);
        try {
            run("bpftool", "prog", "loadall", object.toString(), pins.toString());
            List<Path> pinned = new ArrayList<>();
            try (Stream<Path> s = Files.list(pins)) {
                s.forEach(pinned::add);
            }
            Map<String, String> tags = new TreeMap<>();
            for (Path p : pinned) {
                String j = run("bpftool", "-j", "prog", "show", "pinned", p.toString());
                var n = NAME.matcher(j);
                var t = TAG.matcher(j);
                assertThat(n.find() && t.find()).as("bpftool's answer for " + p + ": " + j).isTrue();
                String name1 = n.group(1);
                tags.put(name1.length() > 15 ? name1.substring(0, 15) : name1, t.group(1));
            }
            return tags;
        } finally {
            if (Files.exists(pins)) {
                try (Stream<Path> s = Files.walk(pins)) {
                    for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
                }
            }
        }
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish");
        }
        if (p.exitValue() != 0) throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
        return out;
    }
}
