package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;

/** A lab plus one test object loaded with one .rodata port constant: the shared fixture of the hook tests. */
record LinkLab(Lab lab, Host a, Host b, BpfObject obj) implements AutoCloseable {
    static LinkLab open(String resource, String portVariable, int port) {
        Lab lab = Lab.create();
        try {
            ObjectSpec spec = ObjectSpec.fromResource(LinkLab.class, resource);
            spec.variable(portVariable).set(port);
            return new LinkLab(lab, lab.a(), lab.b(), spec.load());
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            obj.close();
        } finally {
            lab.close();
        }
    }
}
