package io.packetlens.ebpf;

/** The test BPF objects compiled from src/test/bpf by the build (into test-classes/bpf). */
final class TestObjects {
    private TestObjects() {}

    static ObjectSpec loaderTest() {
        return ObjectSpec.fromResource(TestObjects.class, "/bpf/loader_test.bpf.o");
    }

    static ObjectSpec reject() {
        return ObjectSpec.fromResource(TestObjects.class, "/bpf/reject.bpf.o");
    }

    static ObjectSpec codecTest() {
        return ObjectSpec.fromResource(TestObjects.class, "/bpf/codec_test.bpf.o");
    }

    static byte[] bytes(String resource) throws java.io.IOException {
        try (var in = TestObjects.class.getResourceAsStream(resource)) {
            if (in == null) throw new java.io.FileNotFoundException(resource);
            return in.readAllBytes();
        }
    }
}
