package io.tally.app.service;

import io.tally.common.config.TallyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

class DebugCloseTest {
    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(1).with(TallyConfig.API_MAX_CONNECTIONS, 8);

    @Test
    void debug() throws Exception {
        List<Socket> held = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            held.add(RawHttp.connectFrom(InetAddress.getByName("127.0.0.1"), api.port(), 5000));
        }
        Thread.sleep(200);
        Socket s = RawHttp.connectFrom(InetAddress.getByName("127.0.0.1"), api.port(), 5000);
        Thread.sleep(200);
        System.out.println("DEBUG count " + api.server().connector().getConnectedEndPoints().size());
        RawHttp.write(s, "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
        System.out.println("DEBUG live " + RawHttp.readOrClosed(s));
        RawHttp.write(s, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
        System.out.println("DEBUG nothing " + RawHttp.readOrClosed(s));
        Socket t = RawHttp.connectFrom(InetAddress.getByName("127.0.0.1"), api.port(), 5000);
        RawHttp.write(t, "GET /v1/counters/x HTTP/1.1\r\nHost: x\r\n\r\n");
        System.out.println("DEBUG 401 " + RawHttp.readOrClosed(t));
    }
}
