package io.packetlens.packet;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Internet checksum against published values (RFC 1071, RFC 1624, a textbook IPv4 header) and against itself. */
class ChecksumsTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void rfc1071Example() {
        byte[] data = hex("0001 f203 f4f5 f6f7"); // RFC 1071 section 3: the folded sum is 0xddf2
        assertThat(Checksums.fold(Checksums.sum(data, 0, data.length, 0))).isEqualTo(0xddf2);
        assertThat(Checksums.checksum(data, 0, data.length)).isEqualTo(0x220d);
    }

    @Test
    void ipv4HeaderWithAKnownChecksum() {
        byte[] header = hex("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7"); // 192.168.0.1 -> 192.168.0.199
        assertThat(Checksums.verifies(header, 0, 20, 0)).isTrue();
        header[10] = 0;
        header[11] = 0;
        assertThat(Checksums.checksum(header, 0, 20)).isEqualTo(0xb861);
    }

    @Test
    void oddLengthsPadTheLastByte() {
        assertThat(Checksums.sum(hex("01"), 0, 1, 0)).isEqualTo(0x0100);
        assertThat(Checksums.sum(hex("0102 03"), 0, 3, 5)).isEqualTo(5 + 0x0102 + 0x0300);
        assertThat(Checksums.fold(0x1_fffeL)).isEqualTo(0xffff);
        assertThat(Checksums.fold(0x3_0002L)).isEqualTo(0x0005);
    }

    @Test
    void pseudoHeaderSumsAddressesProtocolAndLength() {
        byte[] a = {10, 0, 0, 1}, b = {10, 0, 0, 2};
        assertThat(Checksums.pseudoHeader(a, b, 17, 30)).isEqualTo(0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 17 + 30);
        assertThat(Checksums.pseudoHeader(new byte[16], new byte[16], 58, 0x1_0004)).isEqualTo(58 + 1 + 4);
        assertThatThrownBy(() -> Checksums.pseudoHeader(a, new byte[16], 6, 20)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rfc1624Example() {
        // RFC 1624 section 4: HC = 0xdd2f, m = 0x5555 becomes m' = 0x3285; the right answer is 0x0000 (eqn. 2 gives -0)
        assertThat(Checksums.update(0xdd2f, 0x5555, 0x3285)).isEqualTo(0x0000);
    }

    @Test
    void incrementalUpdateEqualsRecomputation() {
        Random r = new Random(42);
        for (int run = 0; run < 2000; run++) {
            byte[] data = new byte[2 + 2 * r.nextInt(40)];
            r.nextBytes(data);
            data[0] |= 1; // never all zero: then both zeros of ones' complement would be right
            int before = Checksums.checksum(data, 0, data.length);
            int word = 2 * r.nextInt(data.length / 2);
            int old = (data[word] & 0xff) << 8 | (data[word + 1] & 0xff);
            int now = r.nextInt(0x10000);
            data[word] = (byte) (now >> 8);
            data[word + 1] = (byte) now;
            assertThat(Checksums.update(before, old, now)).as("run %d", run).isEqualTo(Checksums.checksum(data, 0, data.length));
        }
    }
}
