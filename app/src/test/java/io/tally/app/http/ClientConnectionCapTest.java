package io.tally.app.http;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;

/** Whom the per-client connection cap counts a remote address for. */
class ClientConnectionCapTest {

    @Test
    void ipv6AddressesOfOneSlash64_countAsOneClient() throws Exception {
        InetAddress a = ClientConnectionCap.client(InetAddress.getByName("2001:db8:1:2:aaaa:bbbb:cccc:dddd"));
        InetAddress b = ClientConnectionCap.client(InetAddress.getByName("2001:db8:1:2::1"));
        InetAddress other = ClientConnectionCap.client(InetAddress.getByName("2001:db8:1:3::1"));

        assertThat(a).isEqualTo(b).isEqualTo(InetAddress.getByName("2001:db8:1:2::"));
        assertThat(other).isNotEqualTo(a);
    }

    @Test
    void ipv4Addresses_countEachForItself_theMappedFormAsThePlainOne() throws Exception {
        InetAddress plain = InetAddress.getByName("192.0.2.7");

        assertThat(ClientConnectionCap.client(plain)).isEqualTo(plain);
        assertThat(ClientConnectionCap.client(InetAddress.getByName("::ffff:192.0.2.7"))).isEqualTo(plain);
        assertThat(ClientConnectionCap.client(InetAddress.getByName("192.0.2.8"))).isNotEqualTo(plain);
    }
}
