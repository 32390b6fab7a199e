package io.lctserve.server.api.v2;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.lctserve.runtime.BatchResult;
import io.lctserve.runtime.SampleResult;
import io.lctserve.server.inference.InferenceResult;
import io.lctserve.server.inference.InvalidRequestException;
import io.lctserve.server.model.LoadedModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An Open Inference Protocol inference response. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InferResponse(
        @JsonProperty("model_name") String modelName,
        @JsonProperty("model_version") String modelVersion,
        String id,
        Map<String, Object> parameters,
        List<Output> outputs) {

    static final String PROBABILITIES = "probabilities";
    static final String CLASS = "class";
    static final String CONFIDENCE = "confidence";
    static final String EXIT_STAGE = "exit_stage";
    static final List<String> OUTPUTS = List.of(PROBABILITIES, CLASS, CONFIDENCE, EXIT_STAGE);

    /**
     * @param data flat row-major values
     */
    public record Output(String name, String datatype, long[] shape, Object data) {}

    /** The outputs a request names, every output when it names none. */
    static List<String> requestedOutputs(List<InferRequest.RequestedOutput> requested) {
        if (requested == null || requested.isEmpty()) {
            return OUTPUTS;
        }
        return requested.stream()
                .map(o -> {
                    if (o == null || !OUTPUTS.contains(o.name())) {
                        throw new InvalidRequestException(
                                "unknown output '" + (o == null ? null : o.name()) + "'; outputs are " + OUTPUTS);
                    }
                    return o.name();
                })
                .toList();
    }

    /** The answer to request {@code id}: the named outputs, and what decided in {@code parameters}. */
    static InferResponse of(LoadedModel model, String id, InferenceResult result, List<String> wanted) {
        BatchResult batch = result.batch();
        List<SampleResult> samples = batch.samples();
        int n = samples.size();
        List<Output> outputs = new ArrayList<>();
        for (String name : wanted) {
            outputs.add(
                    switch (name) {
                        case PROBABILITIES -> probabilities(samples, model.classes());
                        case CLASS ->
                            new Output(
                                    CLASS,
                                    "INT64",
                                    new long[] {n},
                                    samples.stream()
                                            .mapToLong(SampleResult::predictedClass)
                                            .toArray());
                        case CONFIDENCE -> {
                            float[] c = new float[n];
                            for (int i = 0; i < n; i++) {
                                c[i] = samples.get(i).confidence();
                            }
                            yield new Output(CONFIDENCE, "FP32", new long[] {n}, c);
                        }
                        case EXIT_STAGE ->
                            new Output(
                                    EXIT_STAGE,
                                    "INT32",
                                    new long[] {n},
                                    samples.stream()
                                            .mapToInt(SampleResult::exitStage)
                                            .toArray());
                        default -> throw new IllegalStateException(name);
                    });
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put(
                "labels",
                samples.stream()
                        .map(s -> model.manifest().labels().get(s.predictedClass()))
                        .toList());
        parameters.put("rule", result.rule());
        parameters.put("deadline_cut", batch.deadlineCut());
        parameters.put("macs_fraction", batch.macsFraction());
        return new InferResponse(model.name(), model.version(), id, parameters, outputs);
    }

    private static Output probabilities(List<SampleResult> samples, int classes) {
        float[] p = new float[samples.size() * classes];
        for (int i = 0; i < samples.size(); i++) {
            System.arraycopy(samples.get(i).probabilities(), 0, p, i * classes, classes);
        }
        return new Output(PROBABILITIES, "FP32", new long[] {samples.size(), classes}, p);
    }
}
