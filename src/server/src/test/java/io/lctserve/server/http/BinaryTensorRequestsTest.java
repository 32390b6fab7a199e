package io.lctserve.server.http;

import static org.hamcrest.Matchers.containsString;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;

/**
 * The binary tensor data extension (Triton's client's default): the same answers as JSON, and a
 * 4xx naming the problem for every way its framing can be wrong.
 */
@InferenceSlice
class BinaryTensorRequestsTest {

    private static final String INFER = "/v2/models/fashion-mnist/infer";

    @Autowired
    MockMvc mvc;

    /** A binary tensor data body: {@code json}, then {@code tensor}; the header gives the JSON's length. */
    private static org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder binary(
            String json, byte[] tensor, String headerLength) {
        byte[] head = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] body = java.util.Arrays.copyOf(head, head.length + tensor.length);
        System.arraycopy(tensor, 0, body, head.length, tensor.length);
        return post(INFER)
                .contentType(MediaType.APPLICATION_OCTET_STREAM)
                .header("Inference-Header-Content-Length", headerLength == null ? "" + head.length : headerLength)
                .content(body);
    }

    private static String binaryInput(String datatype, long size) {
        return "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,1,28,28],\"datatype\":\"" + datatype
                + "\",\"parameters\":{\"binary_data_size\":" + size + "}}],\"parameters\":{\"mode\":\"full\"}}";
    }

    /** Triton's {@code timeout} (microseconds) is the latency budget: 1 us leaves time for stage 0 only. */
    @Test
    void tritonsTimeoutIsTheLatencyBudget() throws Exception {
        // one microsecond: less than the first stage takes, so refused at once rather than answered late
        mvc.perform(post(INFER)
                        .contentType(MediaType.APPLICATION_JSON)
                        .content(ErrorResponsesTest.valid("{\"threshold\":0.999999,\"timeout\":1}")))
                .andExpect(status().isServiceUnavailable())
                .andExpect(header().exists("Retry-After"))
                .andExpect(jsonPath("$.error").value(containsString("the deadline cannot be met")));
    }

    /** Triton's client in JSON mode sends no content type; curl -d sends a form type: both are JSON requests. */
    @Test
    void aJsonBodyWithoutAJsonContentTypeIsReadAsJson() throws Exception {
        String body = ErrorResponsesTest.valid("{\"mode\":\"full\"}");
        mvc.perform(post(INFER).content(body))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.outputs[0].name").exists());
        mvc.perform(post(INFER)
                        .contentType(MediaType.APPLICATION_FORM_URLENCODED)
                        .content(body))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.parameters.rule").value("full"));
    }

    @Test
    void binaryTensorDataGivesTheSameAnswerAsJson() throws Exception {
        byte[] uint8 = new byte[784];
        java.nio.ByteBuffer fp32 = java.nio.ByteBuffer.allocate(784 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < 784; i++) {
            int v = (i * 37) % 256;
            uint8[i] = (byte) v;
            fp32.putFloat(v / 255f);
            json.append(i > 0 ? "," : "").append(v);
        }
        String expected = mvc.perform(post(INFER)
                        .contentType(MediaType.APPLICATION_JSON)
                        .content(ErrorResponsesTest.input("[1,1,28,28]", "UINT8", json + "]")
                                + ",\"parameters\":{\"mode\":\"full\"}}"))
                .andExpect(status().isOk())
                .andReturn()
                .getResponse()
                .getContentAsString();
        int data = expected.indexOf("\"data\"");
        String probabilities = expected.substring(data, expected.indexOf(']', data) + 1);

        mvc.perform(binary(binaryInput("UINT8", 784), uint8, null))
                .andExpect(status().isOk())
                .andExpect(content().string(containsString(probabilities)));
        mvc.perform(binary(binaryInput("FP32", 784 * 4), fp32.array(), null))
                .andExpect(status().isOk())
                .andExpect(content().string(containsString(probabilities)));
    }

    static Stream<Arguments> badBinaryRequests() {
        byte[] image = new byte[784];
        return Stream.of(
                Arguments.of(
                        "header length past the body",
                        binary(binaryInput("UINT8", 784), image, "99999"),
                        "Inference-Header-Content-Length must be the length in bytes of the JSON"),
                Arguments.of(
                        "header length not a number", binary(binaryInput("UINT8", 784), image, "abc"), "was 'abc'"),
                Arguments.of(
                        "fractional shape in the header",
                        binary(binaryInput("UINT8", 784).replace("[1,1,28,28]", "[1.5,1,28,28]"), image, null),
                        "inputs[0].shape [1.5, 1, 28, 28] must hold whole numbers"),
                Arguments.of(
                        "header cuts the JSON short",
                        binary(binaryInput("UINT8", 784), image, "20"),
                        "in the first 20 bytes of the body (Inference-Header-Content-Length): malformed JSON"),
                Arguments.of(
                        "size does not fit the shape",
                        binary(binaryInput("UINT8", 700), new byte[700], null),
                        "binary_data_size must be 784 (784 UINT8 values of the shape), was 700"),
                Arguments.of(
                        "fewer bytes than announced",
                        binary(binaryInput("FP32", 3136), new byte[3000], null),
                        "the body has 3000 bytes after the JSON but inputs[0] needs 3136"),
                Arguments.of(
                        "FP32 bytes out of range",
                        binary(binaryInput("FP32", 3136), floats(784, 2.5f), null),
                        "FP32 value #0 is 2.5: pixels must be scaled to [0, 1]"),
                Arguments.of(
                        "data and binary both",
                        binary(
                                binaryInput("UINT8", 784)
                                        .replace("\"parameters\":{\"binary", "\"data\":[1],\"parameters\":{\"binary"),
                                image,
                                null),
                        "inputs[0] has both data and parameters.binary_data_size"),
                Arguments.of(
                        "binary size in a plain JSON request",
                        post(INFER).contentType(MediaType.APPLICATION_JSON).content(binaryInput("UINT8", 784)),
                        "binary_data_size needs the binary tensor data extension"),
                Arguments.of(
                        "octet-stream without the header",
                        post(INFER)
                                .contentType(MediaType.APPLICATION_OCTET_STREAM)
                                .content(image),
                        "a binary tensor data request gives the length of its JSON in the"
                                + " Inference-Header-Content-Length header"));
    }

    private static byte[] floats(int n, float v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(n * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(v);
        }
        return b.array();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badBinaryRequests")
    void badBinaryRequestsAre4xxWithAMessage(
            String what, org.springframework.test.web.servlet.RequestBuilder request, String message) throws Exception {
        mvc.perform(request)
                .andExpect(status().is4xxClientError())
                .andExpect(jsonPath("$.error", containsString(message)));
    }
}
