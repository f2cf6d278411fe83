package io.packetlens.ebpf.features;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The running kernel's release ({@code uname -r}, read from /proc/sys/kernel/osrelease) as
 * major.minor.patch. For error messages and tests that state which version a feature needs;
 * decisions about what the kernel can do belong to {@link Features}' probes, since distribution
 * kernels backport features to older version numbers.
 */
public record KernelVersion(int major, int minor, int patch, String release) implements Comparable<KernelVersion> {
    private static final Pattern NUMBERS = Pattern.compile("^(\\d+)\\.(\\d+)(?:\\.(\\d+))?");
    private static volatile KernelVersion current;

    /** Parses a release string such as {@code 6.1.0-56-amd64} or {@code 6.18.0}. */
    public static KernelVersion parse(String release) {
        Matcher m = NUMBERS.matcher(release.strip());
        if (!m.find()) throw new IllegalArgumentException("not a kernel release: '" + release + "'");
        return new KernelVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                m.group(3) == null ? 0 : Integer.parseInt(m.group(3)), release.strip());
    }

    /** The running kernel's version. */
    public static KernelVersion current() {
        KernelVersion v = current;
        if (v == null) {
            String release;
            try {
                release = Files.readString(Path.of("/proc/sys/kernel/osrelease"));
            } catch (IOException e) {
                release = System.getProperty("os.version", "0.0");
            }
            current = v = parse(release);
        }
        return v;
    }

    /** Whether this version is {@code major.minor} or later. */
    public boolean atLeast(int major, int minor) {
        return this.major != major ? this.major > major : this.minor >= minor;
    }

    @Override
    public int compareTo(KernelVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) c = Integer.compare(minor, o.minor);
        return c != 0 ? c : Integer.compare(patch, o.patch);
    }

    @Override
    public String toString() {
        return release;
    }
}
