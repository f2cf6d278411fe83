package io.packetlens.guard.rules;

/** Transport ports {@code low..high} inclusive ({@code 22}, {@code 1024-65535}). */
public record PortRange(int low, int high) {
    public static final PortRange ANY = new PortRange(0, 65535);

    public PortRange {
        if (low < 0 || high > 65535 || low > high) throw new IllegalArgumentException("a port range is 0..65535, low <= high; got " + low + "-" + high);
    }

    public static PortRange parse(String text) {
        String t = text.trim();
        int dash = t.indexOf('-');
        try {
            if (dash < 0) {
                int p = Integer.parseInt(t);
                return new PortRange(p, p);
            }
            return new PortRange(Integer.parseInt(t.substring(0, dash).trim()), Integer.parseInt(t.substring(dash + 1).trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a port or a range such as 1024-65535, got '" + text + "'");
        }
    }

    public boolean contains(int port) {
        return port >= low && port <= high;
    }

    @Override
    public String toString() {
        return low == high ? Integer.toString(low) : low + "-" + high;
    }
}
