package io.packetlens.cli;

import io.packetlens.ebpf.features.KernelVersion;
import io.packetlens.ops.doctor.Check;
import io.packetlens.ops.doctor.Doctor;
import io.packetlens.ops.doctor.DoctorReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code packetlens doctor}: what this machine supports, what falls back, and how to fix what is missing. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Check the machine: kernel, BTF, JIT, capabilities, bpffs, tracefs, cgroup v2, memory accounting, and the",
                "features packetlens uses (ring buffer, tcx, AF_XDP; native XDP and AF_XDP zero-copy per interface).",
                "Each check says what works, what falls back, and how to fix it. Exit status 1 if something is missing."})
final class DoctorCommand implements Callable<Integer> {
    @Option(names = {"-i", "--interface"}, description = "check these interfaces (repeatable; default: all but lo)")
    List<String> interfaces;

    @Option(names = "--json", description = "one JSON object: {\"checks\": [{\"check\", \"status\", \"available\", \"detail\", \"fix\"}], \"summary\"}")
    boolean json;

    @Override
    public Integer call() {
        List<Check> checks = Doctor.run(interfaces == null ? List.of() : interfaces);
        if (json) {
            System.out.println(DoctorReport.json(checks));
        } else {
            System.out.println("packetlens doctor: Linux " + KernelVersion.current() + ", " + System.getProperty("java.vm.name") + " "
                    + Runtime.version());
            System.out.print(DoctorReport.text(checks));
        }
        System.out.flush();
        return DoctorReport.anyMissing(checks) ? 1 : 0;
    }
}
