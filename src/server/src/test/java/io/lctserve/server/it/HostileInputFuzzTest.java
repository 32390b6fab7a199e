package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.lctserve.server.LctServeApplication;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Thousands of generated hostile requests per run against a real server: mutated and reshaped JSON
 * bodies, binary tensor bodies with lying headers, and uploads that look like images. Each one is
 * answered (200 if it happens to be valid, 503 for a generated deadline too short for the first stage,
 * else 4xx) with a JSON body naming the problem and no Java
 * type, package or stack trace; after them all the server still answers a valid request.
 *
 * <p>Inputs come from a seeded generator: every run draws new ones, and a failure names its seed
 * and input, so {@code -Dlctserve.fuzz.seed=<seed>} replays it.
 */
class HostileInputFuzzTest {

    private static final String INFER = "/v2/models/fashion-mnist/infer";
    private static final String CLASSIFY = "/v1/models/fashion-mnist/classify";
    private static final String VALID = ShippedModel.inferBody(0, 1, "{\"preset\":\"fast\"}");
    private static final List<String> INTERNAL = List.of("java.", "io.lctserve", "Exception", "<html", "\tat ");
    private static final long SEED = Long.getLong("lctserve.fuzz.seed", System.nanoTime());

    static ConfigurableApplicationContext context;
    static Http http;
    static int port;

    /** With {@code -Dlctserve.fuzz.port=N}, a server already running on port N (to watch its memory). */
    @BeforeAll
    static void start() {
        Integer external = Integer.getInteger("lctserve.fuzz.port");
        if (external != null) {
            port = external;
        } else {
            context = new SpringApplicationBuilder(LctServeApplication.class)
                    .run(
                            "--server.port=0",
                            "--lctserve.max-request-bytes=65536",
                            "--lctserve.max-batch=8",
                            "--lctserve.body-read-timeout=1s");
            port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
        }
        http = new Http(port);
        System.out.println("HostileInputFuzzTest seed " + SEED + " (replay with -Dlctserve.fuzz.seed=" + SEED + ")");
    }

    @AfterAll
    static void healthyAfterwards() {
        try {
            assertThat(http.postJson(INFER, VALID).status()).isEqualTo(200);
            assertThat(http.get("/v2/health/ready").status()).isEqualTo(200);
        } finally {
            if (context != null) {
                context.close();
            }
        }
    }

    /** Sends {@code tries} generated inputs; each must be answered cleanly. */
    private static <T> void fuzz(String what, int tries, Function<Random, T> generate, Function<T, Http.Reply> send) {
        Random random = new Random(SEED ^ what.hashCode());
        for (int i = 0; i < tries; i++) {
            T input = generate.apply(random);
            Http.Reply r = send.apply(input);
            String context =
                    what + " #" + i + " (seed " + SEED + "): " + shown(input) + " -> " + r.status() + " " + r.body();
            assertThat(r.body()).as(context).startsWith("{");
            if (r.status() == 503) {
                // A generated deadline_ms shorter than the first stage is refused as documented (README).
                assertThat(r.json().get("error").asString()).as(context).startsWith("the deadline cannot be met");
            } else {
                assertThat(r.status()).as(context).isIn(200, 400, 404, 405, 408, 413, 415);
            }
            if (r.status() != 200) {
                assertThat(r.json().get("error").asString()).as(context).isNotBlank();
            }
            assertThat(r.body()).as(context).doesNotContain(INTERNAL);
        }
    }

    private static String shown(Object input) {
        String text = input instanceof byte[] bytes ? new String(bytes, StandardCharsets.ISO_8859_1) : input.toString();
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    // ---- JSON bodies ----

    @Test
    void mutatedJsonBodiesAreAnsweredCleanly() {
        fuzz("json", 1500, HostileInputFuzzTest::mutatedBody, body -> http.postJson(INFER, body));
    }

    static String mutatedBody(Random r) {
        switch (r.nextInt(5)) {
            case 0:
                return VALID.substring(0, r.nextInt(VALID.length()));
            case 1: {
                char[] hostile = {'{', '}', '[', ']', ',', ':', '"', '\\', '-', 'e', '.', '9', ' ', '\u0000', 'x'};
                StringBuilder sb = new StringBuilder(VALID);
                for (int n = 1 + r.nextInt(3); n > 0; n--) {
                    sb.setCharAt(r.nextInt(sb.length()), hostile[r.nextInt(hostile.length)]);
                }
                return sb.toString();
            }
            case 2:
                return "{\"inputs\":[{\"name\":\"input\",\"shape\":" + json(r, 3) + ",\"datatype\":" + json(r, 1)
                        + ",\"data\":" + json(r, 2) + "}],\"parameters\":" + json(r, 2) + "}";
            case 3: {
                String[] keys = {
                    "mode",
                    "threshold",
                    "preset",
                    "max_stage",
                    "deadline_ms",
                    "priority",
                    "rule",
                    "entropy",
                    "patience",
                    "treshold",
                    "",
                    "binary_data_output"
                };
                return VALID.substring(0, VALID.lastIndexOf("\"parameters\":")) + "\"parameters\":{\""
                        + keys[r.nextInt(keys.length)] + "\":" + json(r, 2) + "}}";
            }
            default:
                return VALID.replace("[1,1,28,28]", json(r, 2));
        }
    }

    private static final String[] SCALARS = {
        "null",
        "true",
        "false",
        "0",
        "-1",
        "1.5",
        "1e999",
        "-0",
        "255",
        "256",
        "28",
        "9223372036854775808",
        "1e-400",
        "\"\"",
        "\"FP32\"",
        "\"UINT8\"",
        "\"fast\"",
        "\"early_exit\"",
        "\"\\u0000\"",
        "\"\\ud800\"",
        "NaN",
        "Infinity",
        "01",
        "[1,1,28,28]",
        "[1.5,1,28,28]"
    };

    /** Any JSON value (or near-JSON), nested up to {@code depth}, with what breaks parsers. */
    static String json(Random r, int depth) {
        int kind = depth == 0 ? r.nextInt(3) : r.nextInt(5);
        switch (kind) {
            case 0:
                return SCALARS[r.nextInt(SCALARS.length)];
            case 1:
                return Integer.toString(r.nextInt(304) - 3);
            case 2: {
                StringBuilder sb = new StringBuilder("\"");
                for (int n = r.nextInt(8); n > 0; n--) {
                    char c = (char) (32 + r.nextInt(95));
                    sb.append(c == '"' || c == '\\' ? 'q' : c);
                }
                return sb.append('"').toString();
            }
            case 3: {
                StringBuilder sb = new StringBuilder("[");
                for (int n = r.nextInt(5); n > 0; n--) {
                    sb.append(json(r, depth - 1)).append(n > 1 ? "," : "");
                }
                return sb.append(']').toString();
            }
            default:
                return "{\"k" + r.nextInt(9) + "\":" + json(r, depth - 1) + "}";
        }
    }

    // ---- binary tensor data ----

    /** A binary tensor data body and the header length it claims (-1: none). */
    record Binary(byte[] body, int declared) {
        @Override
        public String toString() {
            return "declared " + declared + ": " + new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void binaryBodiesWithLyingHeadersAreAnsweredCleanly() {
        fuzz(
                "binary",
                800,
                HostileInputFuzzTest::binaryBody,
                b -> http.post(
                        INFER,
                        b.declared() < 0
                                ? Map.of("Content-Type", "application/octet-stream")
                                : Map.of(
                                        "Content-Type",
                                        "application/octet-stream",
                                        "Inference-Header-Content-Length",
                                        Integer.toString(b.declared())),
                        b.body()));
    }

    static Binary binaryBody(Random r) {
        String[] datatypes = {"UINT8", "FP32", "INT8", ""};
        byte[] head = ("{\"inputs\":[{\"name\":\"input\",\"shape\":" + (r.nextBoolean() ? "[1,1,28,28]" : json(r, 1))
                        + ",\"datatype\":\"" + datatypes[r.nextInt(datatypes.length)]
                        + "\",\"parameters\":{\"binary_data_size\":" + (r.nextBoolean() ? "784" : json(r, 1)) + "}}]}")
                .getBytes(StandardCharsets.UTF_8);
        byte[] tail = new byte[r.nextBoolean() ? 784 : r.nextInt(1600)];
        r.nextBytes(tail);
        byte[] body = new byte[head.length + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        System.arraycopy(tail, 0, body, head.length, tail.length);
        int shift = r.nextInt(12);
        int declared = shift == 0 ? -1 : shift < 6 ? head.length : head.length + r.nextInt(400) - 3;
        return new Binary(body, declared);
    }

    // ---- transfer framing ----

    /**
     * Chunked bodies broken on the wire, over raw sockets (16 at a time: a body that never ends is
     * answered at the body-read timeout): every one answered, none with a 5xx.
     */
    @Test
    void brokenTransferFramingIsAnsweredCleanly() throws Exception {
        Random random = new Random(SEED ^ "framing".hashCode());
        List<String> requests = java.util.stream.IntStream.range(0, 600)
                .mapToObj(i -> framed(random))
                .toList();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
        try {
            List<java.util.concurrent.Future<RawHttp.Raw>> answers = requests.stream()
                    .map(request -> pool.submit(
                            () -> RawHttp.exchange(port, request.getBytes(StandardCharsets.ISO_8859_1), 30_000)))
                    .toList();
            for (int i = 0; i < requests.size(); i++) {
                String context = "framing #" + i + " (seed " + SEED + "): " + shown(requests.get(i));
                RawHttp.Raw r;
                try {
                    r = answers.get(i).get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new AssertionError(context + " -> " + e.getCause().getMessage(), e);
                }
                assertThat(r.status()).as(context + " -> " + r).isIn(200, 400, 408, 413);
                assertThat(r.body()).as(context).startsWith("{");
                if (r.status() != 200) {
                    assertThat(r.body()).as(context).contains("\"error\":");
                }
                assertThat(r.body()).as(context).doesNotContain(INTERNAL);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** A valid JSON or binary request, sent chunked, with one to three things wrong with its framing. */
    static String framed(Random r) {
        boolean binary = r.nextBoolean();
        String body = binary ? new String(binaryBody(r).body(), StandardCharsets.ISO_8859_1) : VALID;
        List<String> sizes = new java.util.ArrayList<>();
        List<String> data = new java.util.ArrayList<>();
        for (int at = 0; at < body.length(); ) {
            int n = Math.min(body.length() - at, 1 + r.nextInt(300));
            sizes.add(Integer.toHexString(n));
            data.add(body.substring(at, at + n));
            at += n;
        }
        StringBuilder headers = new StringBuilder("Transfer-Encoding: chunked\r\n");
        String eol = "\r\n";
        String trailer = "";
        String after = "";
        boolean last = true;
        String[] garbage = {"zz", "-1", "ffffffffffffffffff", "", " ", "0x10", "1 0", "+5", "\u0661", "10;", "g", "\t8"
        };
        String[] codings = {"chunked, chunked", "gzip", " chunked", "Chunked", "chunked\r\nTransfer-Encoding: gzip"};
        for (int m = 1 + r.nextInt(3); m > 0; m--) {
            int at = r.nextInt(sizes.size());
            switch (r.nextInt(10)) {
                case 0 -> sizes.set(at, garbage[r.nextInt(garbage.length)]);
                case 1 ->
                    sizes.set(at, Integer.toHexString(Math.max(0, data.get(at).length() + r.nextInt(17) - 8)));
                case 2 -> last = false;
                case 3 ->
                    data.set(
                            at, data.get(at).substring(0, r.nextInt(data.get(at).length() + 1)));
                case 4 -> eol = r.nextBoolean() ? "\n" : "\r";
                case 5 -> trailer = r.nextBoolean() ? "X-Check: 1\r\n" : "X Check\r\n";
                case 6 -> sizes.set(at, sizes.get(at) + (r.nextBoolean() ? ";name=value" : ";\"open"));
                case 7 ->
                    headers.append("Content-Length: ")
                            .append(r.nextInt(2 * body.length()))
                            .append("\r\n");
                case 8 ->
                    headers.replace(
                            0, headers.length(), "Transfer-Encoding: " + codings[r.nextInt(codings.length)] + "\r\n");
                default -> after = "GET /v2 HTTP/1.1\r\nHost: x\r\n\r\n".substring(0, r.nextInt(30));
            }
        }
        StringBuilder request = new StringBuilder(
                        "POST " + INFER + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n")
                .append(
                        binary
                                ? "Content-Type: application/octet-stream\r\nInference-Header-Content-Length: "
                                        + body.indexOf("}]}") + 3 + "\r\n"
                                : "Content-Type: application/json\r\n")
                .append(headers)
                .append("\r\n");
        for (int i = 0; i < sizes.size(); i++) {
            request.append(sizes.get(i)).append(eol).append(data.get(i)).append(i == sizes.size() - 1 ? "\r\n" : eol);
        }
        if (last) {
            request.append("0\r\n").append(trailer).append("\r\n");
        }
        return request.append(after).toString();
    }

    // ---- image uploads ----

    @Test
    void uploadsThatLookLikeImagesAreAnsweredCleanly() {
        fuzz("image", 400, HostileInputFuzzTest::imageLike, image -> {
            String boundary = "fuzzboundary";
            byte[] head = ("--" + boundary
                            + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\n"
                            + "Content-Type: image/png\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            byte[] end = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] body = new byte[head.length + image.length + end.length];
            System.arraycopy(head, 0, body, 0, head.length);
            System.arraycopy(image, 0, body, head.length, image.length);
            System.arraycopy(end, 0, body, head.length + image.length, end.length);
            return http.post(
                    CLASSIFY,
                    "multipart/form-data; boundary=" + boundary,
                    HttpRequest.BodyPublishers.ofByteArray(body));
        });
    }

    static byte[] imageLike(Random r) {
        byte[][] magic = {
            {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'},
            {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0},
            {}
        };
        byte[] start = magic[r.nextInt(magic.length)];
        byte[] rest = new byte[r.nextInt(2000)];
        r.nextBytes(rest);
        byte[] all = new byte[start.length + rest.length];
        System.arraycopy(start, 0, all, 0, start.length);
        System.arraycopy(rest, 0, all, start.length, rest.length);
        return all;
    }
}
