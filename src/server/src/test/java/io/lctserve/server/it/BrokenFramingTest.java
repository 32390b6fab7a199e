package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.lctserve.server.it.RawHttp.Raw;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * A body whose transfer framing is broken is the client's mistake, answered 400 with what broke,
 * on each path a body takes: JSON and binary tensors (read without a thread by BodyReadingFilter)
 * and image uploads (read by the framework on a request thread). Over a raw socket, one case each.
 * A chunked body still open at the body-read timeout (a chunk shorter than announced, a missing last
 * chunk) cannot be told from a stalled client, so it is answered when that timeout ends.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "lctserve.body-read-timeout=1s")
class BrokenFramingTest {

    private static final String NOT_HEX = "a chunk size is not a hexadecimal number of at most 8 digits";
    private static final String NO_CRLF = "a chunk does not end with CRLF where its announced size says it ends";
    private static final String STALLED = "the chunked request body was not completed within 1000 ms";

    @LocalServerPort
    int port;

    /** A request path: the head (request line and headers, without framing) and a body it answers 200. */
    record Path(String name, String head, String body) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Path> paths() {
        String infer = "POST /v2/models/fashion-mnist/infer HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
        String header = "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,1,28,28],\"datatype\":\"UINT8\","
                + "\"parameters\":{\"binary_data_size\":784}}]}";
        byte[] pixels = Arrays.copyOf(ShippedModel.testImages().pixels(), 784);
        String upload = "--bb\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n" + latin1(png()) + "\r\n--bb--\r\n";
        return Stream.of(
                new Path("JSON", infer + "Content-Type: application/json\r\n", ShippedModel.inferBody(0, 1, null)),
                new Path(
                        "binary",
                        infer + "Content-Type: application/octet-stream\r\nInference-Header-Content-Length: "
                                + header.length() + "\r\n",
                        header + latin1(pixels)),
                new Path(
                        "image",
                        "POST /v1/models/fashion-mnist/classify HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                                + "Content-Type: multipart/form-data; boundary=bb\r\n",
                        upload));
    }

    /** Each way to break the framing of a chunked body (64-byte chunks), and what the answer must say. */
    static Stream<Arguments> cases() {
        record Broken(String what, UnaryOperator<String> chunks, String says) {}
        Stream<Broken> broken = Stream.of(
                new Broken("a chunk size that is not hexadecimal", c -> "zz" + c.substring(2), NOT_HEX),
                new Broken("an overflowing chunk size", c -> "ffffffffffffffffff" + c.substring(2), NOT_HEX),
                new Broken("a chunk longer than announced", c -> "3f" + c.substring(2), NO_CRLF),
                new Broken(
                        "a chunk shorter than announced",
                        c -> Integer.toHexString(c.length()) + c.substring(2),
                        STALLED),
                new Broken("no final chunk", c -> c.substring(0, c.length() - "0\r\n\r\n".length()), STALLED));
        return broken.flatMap(b -> paths().map(p -> Arguments.of(b.what(), p, b.chunks(), b.says())));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("cases")
    void brokenChunkedFramingIsA400NamingIt(String what, Path path, UnaryOperator<String> breakIt, String says)
            throws IOException {
        String chunks = RawHttp.chunked(path.body(), 64);
        assertThat(chunks).startsWith("40\r\n");
        Raw r = send(path.head() + "Transfer-Encoding: chunked\r\n\r\n" + breakIt.apply(chunks));
        HttpEdgeTest.assertJsonError(r, 400, says);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paths")
    void wellFormedChunkedBodiesAreServed(Path path) throws IOException {
        Raw r = send(path.head() + "Transfer-Encoding: chunked\r\n\r\n" + RawHttp.chunked(path.body(), 64));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paths")
    void anUploadThatStopsHalfWayIsAnsweredAtTheBodyReadTimeout(Path path) throws IOException {
        String half = path.body().substring(0, path.body().length() / 2);
        Raw chunked = send(path.head() + "Transfer-Encoding: chunked\r\n\r\n"
                + RawHttp.chunked(half, 64).replaceAll("0\r\n\r\n$", ""));
        HttpEdgeTest.assertJsonError(chunked, 400, STALLED);
        Raw counted = send(path.head() + "Content-Length: " + path.body().length() + "\r\n\r\n" + half);
        HttpEdgeTest.assertJsonError(counted, 408, "the request body did not arrive within 1000 ms");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paths")
    void aContentLengthThatIsNotOneNumberIsA400NamingIt(Path path) throws IOException {
        for (String length : new String[] {"-5", "5x", "0x10", " "}) {
            HttpEdgeTest.assertJsonError(
                    send(path.head() + "Content-Length: " + length + "\r\n\r\n" + path.body()),
                    400,
                    "Content-Length must be a non-negative decimal number of bytes");
        }
        HttpEdgeTest.assertJsonError(
                send(path.head() + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n" + path.body()),
                400,
                "Content-Length is given 2 times");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paths")
    void aTransferCodingOtherThanChunkedIsA400NamingIt(Path path) throws IOException {
        for (String coding : new String[] {"gzip", "gzip, chunked", "chunked, gzip", "identity"}) {
            HttpEdgeTest.assertJsonError(
                    send(path.head() + "Transfer-Encoding: " + coding + "\r\n\r\n" + RawHttp.chunked(path.body(), 64)),
                    400,
                    "Transfer-Encoding '" + coding + "' is not supported");
        }
    }

    /**
     * Content-Length beside Transfer-Encoding: chunked. Tomcat follows RFC 9112 section 6.1: the
     * chunked coding decides where the body ends, the Content-Length is ignored, and the connection
     * is closed after the answer, so that no second request can be smuggled in behind the first.
     */
    @Test
    void aContentLengthBesideChunkedIsIgnoredAndTheConnectionClosed() throws IOException {
        Path json = paths().findFirst().orElseThrow();
        Raw r = send(json.head().replace("Connection: close\r\n", "") + "Content-Length: 3\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n" + RawHttp.chunked(json.body(), 64)
                + "GET /v2 HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.headers()).containsEntry("connection", "close");
        assertThat(r.body()).contains("\"outputs\"").doesNotContain("\"extensions\"");
    }

    private Raw send(String request) throws IOException {
        Raw r = RawHttp.exchange(port, request.getBytes(StandardCharsets.ISO_8859_1), 15_000);
        assertThat(r.status()).as("an answer within 15 s").isNotZero();
        return r;
    }

    private static String latin1(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static byte[] png() {
        BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
