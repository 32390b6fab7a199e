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

    /** Triton's classification extension: the top k classes instead of every probability. */
    static final String CLASS_COUNT = "class_count";

    /** Output parameters of the protocol that change nothing here (answers are always JSON). */
    private static final List<String> IGNORED_OUTPUT_PARAMETERS = List.of("binary_data");

    /**
     * An output a request asked for.
     *
     * @param classCount Triton's classification: the top {@code classCount} classes (0: not asked)
     */
    record Wanted(String name, int classCount) {}

    /** The outputs a request names, every output when it names none. */
    static List<Wanted> requestedOutputs(List<InferRequest.RequestedOutput> requested, int classes) {
        if (requested == null || requested.isEmpty()) {
            return OUTPUTS.stream().map(name -> new Wanted(name, 0)).toList();
        }
        return requested.stream().map(o -> wanted(o, classes)).toList();
    }

    private static Wanted wanted(InferRequest.RequestedOutput o, int classes) {
        if (o == null || !OUTPUTS.contains(o.name())) {
            throw new InvalidRequestException(
                    "unknown output '" + (o == null ? null : o.name()) + "'; outputs are " + OUTPUTS);
        }
        int classCount = 0;
        if (o.parameters() != null) {
            for (Map.Entry<String, Object> p : o.parameters().entrySet()) {
                if (p.getKey().equals(CLASS_COUNT)) {
                    classCount = classCount(o.name(), p.getValue(), classes);
                } else if (!IGNORED_OUTPUT_PARAMETERS.contains(p.getKey())) {
                    throw new InvalidRequestException("unknown parameter '" + p.getKey() + "' on output '" + o.name()
                            + "'; outputs take " + CLASS_COUNT + " (on " + PROBABILITIES + ") and binary_data");
                }
            }
        }
        return new Wanted(o.name(), classCount);
    }

    private static int classCount(String output, Object value, int classes) {
        if (!output.equals(PROBABILITIES)) {
            throw new InvalidRequestException(CLASS_COUNT + " applies to output " + PROBABILITIES + ", not " + output);
        }
        if (!(value instanceof Integer || value instanceof Long)
                || ((Number) value).longValue() < 1
                || ((Number) value).longValue() > classes) {
            throw new InvalidRequestException(
                    CLASS_COUNT + " must be a whole number in 1.." + classes + ", was " + value);
        }
        return ((Number) value).intValue();
    }

    /** The answer to request {@code id}: the named outputs, and what decided in {@code parameters}. */
    static InferResponse of(LoadedModel model, String id, InferenceResult result, List<Wanted> wanted) {
        BatchResult batch = result.batch();
        List<SampleResult> samples = batch.samples();
        int n = samples.size();
        List<Output> outputs = new ArrayList<>();
        for (Wanted w : wanted) {
            String name = w.name();
            outputs.add(
                    switch (name) {
                        case PROBABILITIES ->
                            w.classCount() > 0
                                    ? topClasses(
                                            samples,
                                            w.classCount(),
                                            model.manifest().labels())
                                    : probabilities(samples, model.classes());
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

    /** Triton's classification output: per sample the top k as "value:index:label", most likely first. */
    private static Output topClasses(List<SampleResult> samples, int k, List<String> labels) {
        List<String> data = new ArrayList<>(samples.size() * k);
        for (SampleResult s : samples) {
            float[] p = s.probabilities();
            Integer[] order = new Integer[p.length];
            for (int c = 0; c < p.length; c++) {
                order[c] = c;
            }
            java.util.Arrays.sort(order, (a, b) -> Float.compare(p[b], p[a]));
            for (int j = 0; j < k; j++) {
                int c = order[j];
                data.add(p[c] + ":" + c + ":" + labels.get(c));
            }
        }
        return new Output(PROBABILITIES, "BYTES", new long[] {samples.size(), k}, data);
    }

    private static Output probabilities(List<SampleResult> samples, int classes) {
        float[] p = new float[samples.size() * classes];
        for (int i = 0; i < samples.size(); i++) {
            System.arraycopy(samples.get(i).probabilities(), 0, p, i * classes, classes);
        }
        return new Output(PROBABILITIES, "FP32", new long[] {samples.size(), classes}, p);
    }
}
