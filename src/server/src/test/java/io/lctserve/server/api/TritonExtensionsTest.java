package io.lctserve.server.api;

import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;

/** Triton's model configuration and statistics, shaped as Triton's clients read them. */
@InferenceSlice
class TritonExtensionsTest {

    @Autowired
    MockMvc mvc;

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
                .andExpect(jsonPath("$.output[1].data_type").value("TYPE_INT64"))
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

        mvc.perform(get("/v2/models/stats"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.model_stats[0].name").value("fashion-mnist"))
                .andExpect(jsonPath("$.model_stats[0].inference_count", greaterThanOrEqualTo(1)))
                .andExpect(jsonPath("$.model_stats[0].inference_stats.success.count", greaterThanOrEqualTo(1)))
                .andExpect(
                        jsonPath("$.model_stats[0].inference_stats.success.ns").isNumber())
                .andExpect(jsonPath("$.model_stats[0].inference_stats.queue.ns").isNumber())
                .andExpect(jsonPath("$.model_stats[0].last_inference").isNumber());
        mvc.perform(get("/v2/models/fashion-mnist/stats"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.model_stats.length()").value(1));
    }

    @Test
    void classCountAnswersTheTopClassesAsTritonsClassificationExtension() throws Exception {
        String body = ErrorResponsesTest.input("[2,1,28,28]", "FP32", ErrorResponsesTest.zeros(2 * 784))
                + ",\"outputs\":[{\"name\":\"probabilities\",\"parameters\":{\"class_count\":3}},{\"name\":\"class\"}]}";
        mvc.perform(post("/v2/models/fashion-mnist/infer")
                        .contentType(MediaType.APPLICATION_JSON)
                        .content(body))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.outputs[0].name").value("probabilities"))
                .andExpect(jsonPath("$.outputs[0].datatype").value("BYTES"))
                .andExpect(jsonPath("$.outputs[0].shape[0]").value(2))
                .andExpect(jsonPath("$.outputs[0].shape[1]").value(3))
                .andExpect(jsonPath("$.outputs[0].data[0]")
                        .value(org.hamcrest.Matchers.matchesPattern("0\\.\\d+(E-\\d+)?:[0-9]:[A-Za-z/ -]+")))
                .andExpect(jsonPath("$.outputs[1].name").value("class"));
    }

    @Test
    void outputParametersAreCheckedLikeRequestParameters() throws Exception {
        String[][] cases = {
            {"{\"class_count\":11}", "class_count must be a whole number in 1..10, was 11"},
            {"{\"classification\":1}", "unknown parameter 'classification' on output 'probabilities'"},
        };
        for (String[] c : cases) {
            String body = ErrorResponsesTest.input("[1,1,28,28]", "FP32", ErrorResponsesTest.zeros(784))
                    + ",\"outputs\":[{\"name\":\"probabilities\",\"parameters\":" + c[0] + "}]}";
            mvc.perform(post("/v2/models/fashion-mnist/infer")
                            .contentType(MediaType.APPLICATION_JSON)
                            .content(body))
                    .andExpect(status().isBadRequest())
                    .andExpect(jsonPath("$.error", org.hamcrest.Matchers.containsString(c[1])));
        }
    }
}
