package io.lctserve.server.http;

import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import io.lctserve.server.it.ShippedModel;
import io.lctserve.server.model.ModelRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;

/** Triton's model configuration and statistics, shaped as Triton's clients read them. */
@InferenceSlice
class TritonExtensionsTest {

    @Autowired
    MockMvc mvc;

    @Autowired
    ModelRegistry registry;

    @Test
    void theModelConfigurationIsTritons() throws Exception {
        mvc.perform(get("/v2/models/fashion-mnist/config"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.name").value("fashion-mnist"))
                .andExpect(jsonPath("$.max_batch_size").value(16)) // the slice's lctserve.max-batch
                .andExpect(jsonPath("$.input[0].name").value("input"))
                .andExpect(jsonPath("$.input[0].data_type").value("TYPE_FP32"))
                .andExpect(jsonPath("$.input[0].dims[0]").value(1))
                .andExpect(jsonPath("$.input[0].dims[2]").value(28))
                .andExpect(jsonPath("$.output[0].name").value("probabilities"))
                .andExpect(jsonPath("$.output[0].dims[0]").value(10))
                .andExpect(jsonPath("$.output[0].reshape").doesNotExist())
                .andExpect(jsonPath("$.output[1].data_type").value("TYPE_INT64"))
                // one value per sample: dims [1] without the batch, answered as [batch] (Triton's reshape)
                .andExpect(jsonPath("$.output[1].dims[0]").value(1))
                .andExpect(jsonPath("$.output[1].reshape.shape").isEmpty())
                .andExpect(jsonPath("$.output[3].reshape.shape").isEmpty())
                .andExpect(jsonPath("$.dynamic_batching.max_queue_delay_microseconds")
                        .value(0));
        mvc.perform(get("/v2/models/nothing/config")).andExpect(status().isNotFound());
    }

    @Test
    void statisticsCountRequestsAndTheirTimes() throws Exception {
        mvc.perform(post("/v2/models/fashion-mnist/infer")
                        .contentType(MediaType.APPLICATION_JSON)
                        .content(ErrorResponsesTest.valid("{\"mode\":\"full\"}")))
                .andExpect(status().isOk());

        int versions = registry.versions("fashion-mnist").size();
        String newest = ShippedModel.FOLDER.getFileName().toString();
        // one entry per version, as Triton gives them; the newest answered the request above
        mvc.perform(get("/v2/models/stats"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.model_stats.length()").value(versions))
                .andExpect(jsonPath("$.model_stats[0].name").value("fashion-mnist"));
        mvc.perform(get("/v2/models/fashion-mnist/stats"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.model_stats.length()").value(versions));
        mvc.perform(get("/v2/models/fashion-mnist/versions/" + newest + "/stats"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.model_stats.length()").value(1))
                .andExpect(jsonPath("$.model_stats[0].version").value(newest))
                .andExpect(jsonPath("$.model_stats[0].inference_count", greaterThanOrEqualTo(1)))
                .andExpect(jsonPath("$.model_stats[0].inference_stats.success.count", greaterThanOrEqualTo(1)))
                .andExpect(
                        jsonPath("$.model_stats[0].inference_stats.success.ns").isNumber())
                .andExpect(jsonPath("$.model_stats[0].inference_stats.queue.ns").isNumber())
                .andExpect(jsonPath("$.model_stats[0].last_inference").isNumber());
    }

    @Test
    void classCountAnswersTheTopClassesAsTritonsClassificationExtension() throws Exception {
        String body = ErrorResponsesTest.input("[2,1,28,28]", "FP32", ErrorResponsesTest.zeros(2 * 784))
                + ",\"outputs\":[{\"name\":\"probabilities\",\"parameters\":{\"classification\":3}},{\"name\":\"class\"}]}";
        mvc.perform(post("/v2/models/fashion-mnist/infer")
                        .contentType(MediaType.APPLICATION_JSON)
                        .content(body))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.outputs[0].name").value("probabilities"))
                .andExpect(jsonPath("$.outputs[0].datatype").value("BYTES"))
                .andExpect(jsonPath("$.outputs[0].shape[0]").value(2))
                .andExpect(jsonPath("$.outputs[0].shape[1]").value(3))
                .andExpect(jsonPath("$.outputs[0].data[0]")
                        .value(org.hamcrest.Matchers.matchesPattern("[01]\\.\\d{6}:[0-9]:[A-Za-z/ -]+")))
                .andExpect(jsonPath("$.outputs[1].name").value("class"));
    }

    @Test
    void outputParametersAreCheckedLikeRequestParameters() throws Exception {
        String[][] cases = {
            {"{\"class_count\":11}", "classification (class_count) must be a whole number in 1..10, was 11"},
            {"{\"classification\":0}", "classification (class_count) must be a whole number in 1..10, was 0"},
            {
                "{\"class_cuont\":2}",
                "unknown parameter 'class_cuont' on output 'probabilities'; did you mean 'class_count'?"
            },
            {"{\"binary_data\":1}", "output 'probabilities' parameter binary_data must be true or false, was 1"},
        };
        for (String[] c : cases) {
            mvc.perform(post("/v2/models/fashion-mnist/infer")
                            .contentType(MediaType.APPLICATION_JSON)
                            .content(withOutput(c[0])))
                    .andExpect(status().isBadRequest())
                    .andExpect(jsonPath("$.error", org.hamcrest.Matchers.containsString(c[1])));
        }
        // a name of no one's: ignored, as Triton ignores it, and listed in the answer
        mvc.perform(post("/v2/models/fashion-mnist/infer")
                        .contentType(MediaType.APPLICATION_JSON)
                        .content(withOutput("{\"my_trace\":1}")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.parameters.ignored_parameters[0]").value("probabilities.my_trace"));
    }

    private static String withOutput(String parameters) {
        return ErrorResponsesTest.input("[1,1,28,28]", "FP32", ErrorResponsesTest.zeros(784))
                + ",\"outputs\":[{\"name\":\"probabilities\",\"parameters\":" + parameters + "}]}";
    }

    @Test
    void foreignRequestParametersAreIgnoredAndListedButMisspeltOnesRefused() throws Exception {
        mvc.perform(
                        post("/v2/models/fashion-mnist/infer")
                                .contentType(MediaType.APPLICATION_JSON)
                                .content(
                                        ErrorResponsesTest.valid(
                                                "{\"sequence_id\":5,\"priority\":1,\"timeout\":500000,\"my_trace\":\"x\",\"preset\":\"fast\"}")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.parameters.ignored_parameters.length()").value(2))
                .andExpect(jsonPath("$.parameters.ignored_parameters[0]").value("sequence_id"))
                .andExpect(jsonPath("$.parameters.ignored_parameters[1]").value("my_trace"));
        mvc.perform(post("/v2/models/fashion-mnist/infer")
                        .contentType(MediaType.APPLICATION_JSON)
                        .content(ErrorResponsesTest.valid("{\"preset\":\"fast\"}")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.parameters.ignored_parameters").doesNotExist());
        for (String misspelt : new String[] {"Threshold", "max-stage", "deadlineMs", "thresold"}) {
            mvc.perform(post("/v2/models/fashion-mnist/infer")
                            .contentType(MediaType.APPLICATION_JSON)
                            .content(ErrorResponsesTest.valid("{\"" + misspelt + "\":1}")))
                    .andExpect(status().isBadRequest())
                    .andExpect(jsonPath(
                            "$.error",
                            org.hamcrest.Matchers.containsString(
                                    "unknown parameter '" + misspelt + "'; did you mean")));
        }
    }

    /**
     * Triton's client with binary outputs: the answer is the JSON with binary_data_size per binary
     * output, then their bytes, Inference-Header-Content-Length saying where the JSON ends.
     */
    @Test
    void binaryOutputsFollowTheJsonAsRawBytes() throws Exception {
        String json = mvc.perform(post("/v2/models/fashion-mnist/infer")
                        .contentType(MediaType.APPLICATION_JSON)
                        .content(ErrorResponsesTest.valid("{\"mode\":\"full\"}")))
                .andReturn()
                .getResponse()
                .getContentAsString();
        String body = ErrorResponsesTest.input("[1,1,28,28]", "FP32", ErrorResponsesTest.zeros(784))
                + ",\"parameters\":{\"mode\":\"full\",\"binary_data_output\":true},"
                + "\"outputs\":[{\"name\":\"probabilities\"},{\"name\":\"class\",\"parameters\":{\"binary_data\":false}},"
                + "{\"name\":\"exit_stage\"}]}";
        var response = mvc.perform(post("/v2/models/fashion-mnist/infer")
                        .contentType(MediaType.APPLICATION_JSON)
                        .content(body))
                .andExpect(status().isOk())
                .andExpect(org.springframework.test.web.servlet.result.MockMvcResultMatchers.content()
                        .contentType(MediaType.APPLICATION_OCTET_STREAM))
                .andReturn()
                .getResponse();
        byte[] bytes = response.getContentAsByteArray();
        int headerLength = Integer.parseInt(response.getHeader("Inference-Header-Content-Length"));
        var mapper = tools.jackson.databind.json.JsonMapper.builder().build();
        var header = mapper.readTree(new String(bytes, 0, headerLength, java.nio.charset.StandardCharsets.UTF_8));
        var plain = mapper.readTree(json);
        org.assertj.core.api.Assertions.assertThat(
                        header.at("/outputs/0/parameters/binary_data_size").asInt())
                .isEqualTo(40);
        org.assertj.core.api.Assertions.assertThat(header.at("/outputs/0/data").isMissingNode())
                .isTrue();
        org.assertj.core.api.Assertions.assertThat(
                        header.at("/outputs/1/data/0").asLong())
                .isEqualTo(plain.at("/outputs/1/data/0").asLong());
        org.assertj.core.api.Assertions.assertThat(
                        header.at("/outputs/2/parameters/binary_data_size").asInt())
                .isEqualTo(4);
        var raw = java.nio.ByteBuffer.wrap(bytes, headerLength, bytes.length - headerLength)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        org.assertj.core.api.Assertions.assertThat(raw.remaining()).isEqualTo(44);
        for (int c = 0; c < 10; c++) {
            org.assertj.core.api.Assertions.assertThat(raw.getFloat())
                    .isEqualTo(plain.at("/outputs/0/data/" + c).floatValue());
        }
        org.assertj.core.api.Assertions.assertThat(raw.getInt())
                .isEqualTo(plain.at("/outputs/3/data/0").asInt());
    }
}
