package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.lctserve.server.it.RawHttp.Raw;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * What a careless or hostile client meets at the HTTP edge, over a raw socket so that nothing
 * cleans the request up first: every error is {"error": ...} JSON naming the problem in HTTP's or
 * the protocol's terms, never Tomcat's HTML page, a Java type or a stack trace; every response
 * carries the security headers.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class HttpEdgeTest {

    @LocalServerPort
    int port;

    Raw send(String request) throws IOException {
        return RawHttp.exchange(port, request);
    }

    private static String request(String method, String target, String headers, String body) {
        return method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + headers
                + (body == null ? "" : "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n")
                + "\r\n" + (body == null ? "" : body);
    }

    static void assertJsonError(Raw r, int status, String message) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().get("content-type")).startsWith("application/json");
        assertThat(r.body()).startsWith("{\"error\":").contains(message);
        assertThat(r.body()).doesNotContain("java.", "io.lctserve", "Exception", "<html", "tomcat", "Tomcat");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "a bare percent sign in the path|GET /% HTTP/1.1|400|malformed request",
                "a NUL in the path|GET /a%00b HTTP/1.1|400|malformed request",
                "a control character in the path|GET /a\tb HTTP/1.1|400|malformed request",
                "an unknown protocol version|GET / HTTP/2.0|505|HTTP version not supported",
            })
    void requestsTomcatRefusesAreAnsweredInJson(String what, String requestLine, int status, String message)
            throws IOException {
        assertJsonError(send(requestLine + "\r\nHost: localhost\r\nConnection: close\r\n\r\n"), status, message);
    }

    @Test
    void anUnknownMethodIsAJsonError() throws IOException {
        Raw r = send(request("BREW", "/v2", "", null));
        assertThat(r.status()).isBetween(400, 599);
        assertJsonError(r, r.status(), "");
    }

    @Test
    void badPercentEncodingInAQueryIs400NotAnInternalError() throws IOException {
        Raw r = send(request(
                "POST",
                "/v1/models/fashion-mnist/classify?preset=%C0%AF",
                "Content-Type: application/json\r\n",
                "{\"pixels\":[0]}"));
        assertJsonError(r, 400, "");
    }

    @Test
    void theErrorPathAskedForDirectlyIsAnEndpointLikeNoOther() throws IOException {
        assertJsonError(send(request("GET", "/error", "", null)), 404, "no endpoint GET /error");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "an empty body||the request body is missing",
                "inputs not an array|{\"inputs\":\"x\"}|malformed request: inputs must be a JSON array",
                "a shape of strings|{\"inputs\":[{\"shape\":{}}]}|malformed request: inputs[0].shape must be a JSON array",
                "a key given twice|{\"inputs\":[],\"inputs\":[]}|malformed JSON request body",
                "broken JSON|{\"inputs\":[|malformed JSON request body",
            })
    void bodiesThatCannotBeReadNameTheProblemInJsonsTerms(String what, String body, String message) throws IOException {
        Raw r = send(request(
                "POST",
                "/v2/models/fashion-mnist/infer",
                "Content-Type: application/json\r\n",
                body == null ? "" : body));
        assertJsonError(r, 400, message);
    }

    @Test
    void aCompressedBodyIsRefusedUpFront() throws IOException {
        Raw r = send(request(
                "POST",
                "/v2/models/fashion-mnist/infer",
                "Content-Type: application/json\r\nContent-Encoding: br\r\n",
                "xxxx"));
        assertJsonError(r, 415, "Content-Encoding 'br' is not supported; send the body uncompressed, gzip or deflate");
    }

    /** Raw bytes through a socket: a request line and headers, then a binary body. */
    Raw sendBytes(String head, byte[] body) throws IOException {
        byte[] h = (head + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = java.util.Arrays.copyOf(h, h.length + body.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return send(new String(all, StandardCharsets.ISO_8859_1));
    }

    private static byte[] compress(byte[] data, boolean gzip) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.io.OutputStream z =
                gzip ? new java.util.zip.GZIPOutputStream(out) : new java.util.zip.DeflaterOutputStream(out)) {
            z.write(data);
        }
        return out.toByteArray();
    }

    @Test
    void gzipAndDeflateBodiesAreDecompressedAndBoundedByTheSizeLimit() throws IOException {
        byte[] json = ShippedModel.inferBody(0, 1, "{\"mode\":\"full\"}").getBytes(StandardCharsets.UTF_8);
        String head = "POST /v2/models/fashion-mnist/infer HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                + "Content-Type: application/json\r\n";
        Raw plain = sendBytes(head, json);
        Raw gzip = sendBytes(head + "Content-Encoding: gzip\r\n", compress(json, true));
        Raw deflate = sendBytes(head + "Content-Encoding: deflate\r\n", compress(json, false));
        assertThat(plain.status()).isEqualTo(200);
        assertThat(gzip.status()).as(gzip.body()).isEqualTo(200);
        assertThat(gzip.body()).isEqualTo(plain.body());
        assertThat(deflate.body()).isEqualTo(plain.body());

        byte[] spaces = new byte[20_000_000]; // valid JSON white space the parser must read through
        java.util.Arrays.fill(spaces, (byte) ' ');
        spaces[0] = '{';
        byte[] bomb = compress(spaces, true); // 20 MB in about 20 KB
        assertThat(bomb.length).isLessThan(100_000);
        assertJsonError(
                sendBytes(head + "Content-Encoding: gzip\r\n", bomb),
                413,
                "request body exceeds the limit of 8388608 bytes (lctserve.max-request-bytes)");
        assertJsonError(sendBytes(head + "Content-Encoding: gzip\r\n", json), 400, "the body is not valid gzip data");
    }

    @Test
    void bodiesAsCurlAndTritonsJsonModeSendThemAreReadAsJson() throws IOException {
        String body = ShippedModel.inferBody(0, 1, "{\"mode\":\"full\"}");
        Raw form = send(request(
                "POST", "/v2/models/fashion-mnist/infer", "Content-Type: application/x-www-form-urlencoded\r\n", body));
        assertThat(form.status()).as(form.body()).isEqualTo(200);
        Raw none = send(request("POST", "/v2/models/fashion-mnist/infer", "", body));
        assertThat(none.status()).as(none.body()).isEqualTo(200);
        assertThat(none.body()).isEqualTo(form.body());
    }

    @Test
    void theServerMetadataAnswersWithATrailingSlashAndListsItsExtensions() throws IOException {
        Raw r = send(request("GET", "/v2/", "", null));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).contains("\"binary_tensor_data\"", "\"model_repository\"");
    }

    @Test
    void everyResponseCarriesTheSecurityHeaders() throws IOException {
        for (String target : new String[] {"/v2", "/", "/no/such/thing"}) {
            Raw r = send(request("GET", target, "", null));
            assertThat(r.headers())
                    .as(target)
                    .containsEntry("x-content-type-options", "nosniff")
                    .containsEntry("x-frame-options", "DENY")
                    .containsEntry("referrer-policy", "no-referrer")
                    .containsKey("content-security-policy");
        }
    }
}
