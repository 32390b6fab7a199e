package io.lctserve.server.http;

import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import io.lctserve.server.it.ShippedModel;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockMultipartFile;
import org.springframework.test.web.servlet.MockMvc;

/**
 * Every client mistake gets a 4xx and {"error": ...} naming the problem: the controllers with the
 * real inference path and the shipped model, over MockMvc.
 */
@InferenceSlice
class ErrorResponsesTest {

    private static final String INFER = "/v2/models/fashion-mnist/infer";

    @Autowired
    MockMvc mvc;

    static String input(String shape, String datatype, String data) {
        return "{\"inputs\":[{\"name\":\"input\",\"shape\":" + shape + ",\"datatype\":\"" + datatype + "\",\"data\":"
                + data + "}]";
    }

    static String zeros(int n) {
        return "[" + "0,".repeat(n - 1) + "0]";
    }

    static String valid(String parameters) {
        return input("[1,1,28,28]", "FP32", zeros(784)) + ",\"parameters\":" + parameters + "}";
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                Arguments.of(
                        "wrong shape", input("[1,28,28]", "FP32", zeros(784)) + "}", "does not match the model input"),
                Arguments.of(
                        "wrong channel count", input("[1,3,28,28]", "FP32", zeros(784)) + "}", "dimension 1 must be 1"),
                Arguments.of(
                        "wrong datatype",
                        input("[1,1,28,28]", "INT64", zeros(784)) + "}",
                        "datatype 'INT64' not supported"),
                Arguments.of(
                        "too few values", input("[1,1,28,28]", "FP32", zeros(700)) + "}", "has 700 values but shape"),
                Arguments.of(
                        "fractional shape",
                        input("[1.5,1,28,28]", "FP32", zeros(784)) + "}",
                        "inputs[0].shape [1.5, 1, 28, 28] must hold whole numbers; dimension 0 is 1.5"),
                Arguments.of(
                        "a nested element in flat data",
                        input("[1,1,28,28]", "FP32", "[0,[0]," + zeros(782).substring(1)) + "}",
                        "inputs[0].data mixes numbers and arrays at depth 1"),
                Arguments.of(
                        "numbers at two depths",
                        input("[1,1,28,28]", "FP32", "[" + zeros(2) + "," + "0,".repeat(781) + "0]") + "}",
                        "inputs[0].data has numbers at depths 2 and 1"),
                Arguments.of(
                        "rows of different lengths",
                        input("[1,1,28,28]", "FP32", "[" + zeros(400) + "," + zeros(384) + "]") + "}",
                        "inputs[0].data has arrays of 400 and of 384 elements at depth 2"),
                Arguments.of(
                        "nested unlike the shape",
                        input("[1,1,28,28]", "FP32", "[" + zeros(784) + "]") + "}",
                        "inputs[0].data is nested as [1, 784] but its shape is [1, 1, 28, 28]"),
                Arguments.of(
                        "too many values", input("[1,1,28,28]", "FP32", zeros(785)) + "}", "has 785 values but shape"),
                Arguments.of("not a number", input("[1,1,28,28]", "FP32", "[\"a\"]") + "}", "is not a number"),
                Arguments.of(
                        "infinite value",
                        input("[1,1,28,28]", "FP32", "[1e999," + zeros(783).substring(1)) + "}",
                        "is not finite"),
                Arguments.of(
                        "NaN literal",
                        input("[1,1,28,28]", "FP32", "[NaN," + zeros(783).substring(1)) + "}",
                        "malformed JSON"),
                Arguments.of(
                        "UINT8 out of range",
                        input("[1,1,28,28]", "UINT8", "[256," + zeros(783).substring(1)) + "}",
                        "integer in 0..255"),
                Arguments.of(
                        "FP32 not scaled",
                        input("[1,1,28,28]", "FP32", "[3," + zeros(783).substring(1)) + "}",
                        "must be scaled to [0, 1]"),
                Arguments.of(
                        "batch over the limit",
                        input("[17,1,28,28]", "FP32", zeros(784)) + "}",
                        "exceeds the server's limit of 16"),
                Arguments.of("no inputs", "{\"inputs\":[]}", "expected exactly one input tensor 'input', got 0"),
                Arguments.of(
                        "unknown input name",
                        "{\"inputs\":[{\"name\":\"pixels\",\"shape\":[1,1,28,28],\"datatype\":\"FP32\",\"data\":[0]}]}",
                        "unknown input 'pixels'"),
                Arguments.of("threshold above 1", valid("{\"threshold\":1.5}"), "threshold must be in [0, 1], was 1.5"),
                Arguments.of("threshold negative", valid("{\"threshold\":-0.1}"), "threshold must be in [0, 1]"),
                Arguments.of(
                        "threshold not a number",
                        valid("{\"threshold\":\"high\"}"),
                        "threshold must be a number, was 'high'"),
                Arguments.of(
                        "unknown mode",
                        valid("{\"mode\":\"fastest\"}"),
                        "unknown mode 'fastest'; use early_exit, ensemble, full, stage"),
                Arguments.of(
                        "unknown preset",
                        valid("{\"preset\":\"turbo\"}"),
                        "unknown preset 'turbo' for model fashion-mnist"),
                Arguments.of(
                        "threshold and preset",
                        valid("{\"threshold\":0.5,\"preset\":\"fast\"}"),
                        "give one of threshold, entropy, patience, preset or max_disagreement, not several"),
                Arguments.of(
                        "preset of another rule",
                        valid("{\"rule\":\"entropy\",\"preset\":\"fast\"}"),
                        "preset 'fast' uses rule max_softmax, not entropy"),
                Arguments.of(
                        "max_disagreement not a fraction",
                        valid("{\"max_disagreement\":5}"),
                        "max_disagreement must be a fraction of answers in (0, 1) that may differ from the last head's, was 5"),
                Arguments.of(
                        "max_disagreement and preset",
                        valid("{\"max_disagreement\":0.05,\"preset\":\"fast\"}"),
                        "give one of threshold, entropy, patience, preset or max_disagreement, not several"),
                Arguments.of(
                        "max_disagreement with max_stage",
                        valid("{\"max_disagreement\":0.05,\"max_stage\":1}"),
                        "max_disagreement is measured against the last head; leave out max_stage"),
                Arguments.of(
                        "max_disagreement outside early exit",
                        valid("{\"max_disagreement\":0.05,\"mode\":\"full\"}"),
                        "max_disagreement applies to mode early_exit only, not full"),
                Arguments.of("max_stage out of range", valid("{\"max_stage\":9}"), "max_stage 9 is out of range"),
                Arguments.of("max_stage not whole", valid("{\"max_stage\":1.5}"), "max_stage must be a whole number"),
                Arguments.of(
                        "stage mode without max_stage", valid("{\"mode\":\"stage\"}"), "mode stage needs max_stage"),
                Arguments.of(
                        "deadline not positive",
                        valid("{\"deadline_ms\":0}"),
                        "deadline_ms must be a number of milliseconds"),
                Arguments.of(
                        "negative priority",
                        valid("{\"priority\":-1}"),
                        "priority must be a whole number >= 0 (1 is the highest, 0 the default), was -1"),
                Arguments.of("priority not whole", valid("{\"priority\":1.5}"), "priority must be a whole number"),
                Arguments.of(
                        "Triton's timeout not positive",
                        valid("{\"timeout\":0}"),
                        "timeout must be a number of microseconds > 0"),
                Arguments.of("unknown parameter", valid("{\"treshold\":0.5}"), "unknown parameter 'treshold'"),
                Arguments.of(
                        "unknown rule",
                        valid("{\"rule\":\"vote\"}"),
                        "unknown rule 'vote'; use max_softmax, entropy or patience"),
                Arguments.of(
                        "entropy rule without its bound",
                        valid("{\"rule\":\"entropy\"}"),
                        "rule entropy needs entropy"),
                Arguments.of(
                        "threshold with the entropy rule",
                        valid("{\"rule\":\"entropy\",\"threshold\":0.5}"),
                        "threshold applies to rule max_softmax, not entropy"),
                Arguments.of(
                        "patience beyond the heads",
                        valid("{\"rule\":\"patience\",\"patience\":9}"),
                        "patience needs how many consecutive heads must agree (1..4), was 9"),
                Arguments.of(
                        "threshold in full mode",
                        valid("{\"mode\":\"full\",\"threshold\":0.5}"),
                        "threshold applies to mode early_exit only, not full"),
                Arguments.of(
                        "unknown output",
                        valid("{}").replaceFirst("\\}$", ",\"outputs\":[{\"name\":\"logits\"}]}"),
                        "unknown output 'logits'"),
                Arguments.of("malformed JSON", "{\"inputs\": [", "malformed JSON request body"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void badRequestsAre400WithAMessage(String what, String body, String message) throws Exception {
        mvc.perform(post(INFER).contentType(MediaType.APPLICATION_JSON).content(body))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error", containsString(message)));
    }

    @Test
    void unknownModelOrVersionIs404() throws Exception {
        mvc.perform(post("/v2/models/mnist/infer")
                        .contentType(MediaType.APPLICATION_JSON)
                        .content(valid("{}")))
                .andExpect(status().isNotFound())
                .andExpect(jsonPath("$.error").value("unknown model mnist"));
        mvc.perform(get("/v2/models/fashion-mnist/versions/7"))
                .andExpect(status().isNotFound())
                .andExpect(jsonPath(
                        "$.error", containsString("unknown model fashion-mnist version 7; versions: [1, 2, 3, 4]")));
        mvc.perform(get("/v2/models/fashion-mnist/versions/1/ready")).andExpect(status().isOk());
        mvc.perform(get("/v2/models/fashion-mnist/versions/2/ready")).andExpect(status().isOk());
    }

    @Test
    void theNewestShippedVersionAnswersUnlessARequestNamesAnother() throws Exception {
        mvc.perform(get("/v2/models/fashion-mnist"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.versions.length()").value(4))
                .andExpect(jsonPath("$.parameters.version").value("4"));
        mvc.perform(get("/v2/models/fashion-mnist/versions/1"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.parameters.version").value("1"));
    }

    @Test
    void bodyOverTheLimitIs413() throws Exception {
        mvc.perform(post(INFER)
                        .contentType(MediaType.APPLICATION_JSON)
                        .content(input("[1,1,28,28]", "FP32", zeros(120_000)) + "}"))
                .andExpect(status().isPayloadTooLarge())
                .andExpect(jsonPath("$.error", containsString("exceeds the limit of 200000 bytes")));
    }

    @Test
    void wrongContentTypeIs415() throws Exception {
        mvc.perform(post(INFER).contentType(MediaType.TEXT_PLAIN).content("hello"))
                .andExpect(status().isUnsupportedMediaType())
                .andExpect(jsonPath("$.error", containsString("content type text/plain")));
    }

    @Test
    void wrongMethodIs405() throws Exception {
        mvc.perform(get(INFER))
                .andExpect(status().isMethodNotAllowed())
                .andExpect(jsonPath("$.error").value("GET is not allowed here; use [POST]"));
    }

    @Test
    void loadingAndUnloadingThroughTheApiIsOffUnlessEnabled() throws Exception {
        for (String action : new String[] {"load", "unload"}) {
            mvc.perform(post("/v2/repository/models/fashion-mnist/" + action))
                    .andExpect(status().isForbidden())
                    .andExpect(jsonPath("$.error")
                            .value("loading and unloading models through the API is off; change the repository on"
                                    + " disk, or set lctserve.repository.control=true"));
        }
        mvc.perform(post("/v2/repository/index"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$[0].name").value("fashion-mnist"))
                .andExpect(jsonPath("$[0].state").value("READY"));
    }

    @Test
    void classifyRejectsAFileThatIsNoImage() throws Exception {
        mvc.perform(multipart("/v1/models/fashion-mnist/classify")
                        .file(new MockMultipartFile("image", "x.png", "image/png", "not an image".getBytes())))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("the upload is not a PNG or JPEG image"));
    }

    @Test
    void classifyWithoutTheImagePartIs400() throws Exception {
        mvc.perform(multipart("/v1/models/fashion-mnist/classify")
                        .file(new MockMultipartFile("picture", "x.png", "image/png", new byte[] {1})))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error", containsString("image")));
    }

    @Test
    void classifyRejectsPixelsOfTheWrongCount() throws Exception {
        mvc.perform(post("/v1/models/fashion-mnist/classify")
                        .contentType(MediaType.APPLICATION_JSON)
                        .content("{\"pixels\":" + zeros(10) + "}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("'pixels' has 10 values, the model needs 784 ([1, 28, 28])"));
    }

    @Test
    void aValidRequestIsAnswered() throws Exception {
        mvc.perform(post(INFER)
                        .contentType(MediaType.APPLICATION_JSON)
                        .content(ShippedModel.inferBody(0, 2, "{\"preset\":\"fast\"}")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.model_name").value("fashion-mnist"))
                .andExpect(jsonPath("$.outputs[0].name").value("probabilities"))
                .andExpect(jsonPath("$.outputs[0].shape[1]").value(10))
                .andExpect(jsonPath("$.parameters.rule").value("preset:fast"));
    }

    @Test
    void modelMetadataListsThePresetsWithTheirRulesAndWhatEachExitCosts() throws Exception {
        mvc.perform(get("/v2/models/fashion-mnist"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.parameters.fullModelMacs").value(20_508_672))
                .andExpect(jsonPath("$.parameters.stages[0].stageMacs").value(2_314_368))
                .andExpect(jsonPath("$.parameters.stages[0].headMacs").value(805_952))
                .andExpect(jsonPath("$.parameters.stages[2].earlyExitMacsFraction", closeTo(0.7372, 1e-4)))
                .andExpect(jsonPath("$.parameters.stages[2].stageModeMacsFraction", closeTo(0.6641, 1e-4)))
                .andExpect(jsonPath("$.parameters.stages[3].earlyExitMacsFraction", closeTo(1.1399, 1e-4)))
                .andExpect(jsonPath("$.parameters.presets.balanced.meanMacsFraction")
                        .value(ShippedModel.manifest().presets().get("balanced").meanMacsFraction()))
                .andExpect(jsonPath("$.parameters.presets.balanced-entropy.entropy.length()")
                        .value(4))
                .andExpect(jsonPath("$.parameters.presets.balanced.thresholds.length()")
                        .value(4))
                .andExpect(jsonPath("$.parameters.presets.balanced.rule").doesNotExist())
                .andExpect(
                        jsonPath("$.parameters.presets.balanced-entropy.rule").value("entropy"))
                .andExpect(
                        jsonPath("$.parameters.presets.fast-patience.patience").isNumber())
                .andExpect(jsonPath("$.parameters.presets.fast-patience.thresholds")
                        .doesNotExist());
    }
}
