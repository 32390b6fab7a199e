package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * 220 clients that send a request body a byte at a time (more than Tomcat's 200 request threads)
 * do not keep a normal client from being answered: bodies that have not arrived are read without a
 * thread, and those still incomplete at the body-read timeout get 408.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "lctserve.body-read-timeout=3s")
@Timeout(60) // a hang guard: without non-blocking body reads the normal requests wait for the slow ones
class SlowClientsTest {

    private static final int SLOW = 220; // > 200 threads; each costs two file descriptors here

    @LocalServerPort
    int port;

    final List<Socket> slow = new ArrayList<>();

    @AfterEach
    void close() throws IOException {
        for (Socket s : slow) {
            s.close();
        }
    }

    @Test
    void slowBodiesHoldNoRequestThreadAndEndIn408() throws Exception {
        String body = ShippedModel.inferBody(0, 1, null);
        byte[] head = ("POST /v2/models/fashion-mnist/infer HTTP/1.1\r\nHost: localhost\r\n"
                        + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < SLOW; i++) {
            Socket s = new Socket("localhost", port);
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(head);
            out.write(body.charAt(0)); // one byte of the body, and then nothing for a while
            out.flush();
            slow.add(s);
        }

        Http http = new Http(port);
        for (int i = 0; i < 20; i++) {
            Http.Reply r = http.postJson("/v2/models/fashion-mnist/infer", ShippedModel.inferBody(i, 1, null));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
        }

        // the slow ones are told why once their time is up (read on a few of them)
        for (Socket s : slow.subList(0, 5)) {
            String answer = readAll(s.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 408");
            assertThat(answer)
                    .contains("{\"error\":\"the request body did not arrive within 3000 ms"
                            + " (lctserve.body-read-timeout): 1 of its " + body.length()
                            + " bytes (Content-Length) came\"}");
        }
    }

    private static String readAll(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        byte[] buffer = new byte[4096];
        for (int n; (n = in.read(buffer)) > 0; ) {
            sb.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
        }
        return sb.toString();
    }
}
