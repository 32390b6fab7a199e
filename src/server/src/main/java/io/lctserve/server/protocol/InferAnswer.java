package io.lctserve.server.protocol;

import static io.lctserve.server.protocol.RequestedOutputs.CLASS;
import static io.lctserve.server.protocol.RequestedOutputs.CONFIDENCE;
import static io.lctserve.server.protocol.RequestedOutputs.EXIT_STAGE;
import static io.lctserve.server.protocol.RequestedOutputs.PROBABILITIES;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.lctserve.runtime.BatchResult;
import io.lctserve.runtime.SampleResult;
import io.lctserve.server.inference.InferenceResult;
import io.lctserve.server.model.LoadedModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An Open Inference Protocol inference answer, as either transport sends it: the outputs the request
 * asked for, and in {@code parameters} what decided (labels, rule, deadline cut, compute spent).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InferAnswer(
        @JsonProperty("model_name") String modelName,
        @JsonProperty("model_version") String modelVersion,
        String id,
        Map<String, Object> parameters,
        List<OutputTensor> outputs) {

    /** Response parameter: the request's parameters that lctserve did not read. */
    static final String IGNORED_PARAMETERS = "ignored_parameters";

    /** The same answer with other outputs (their descriptions, when the values travel as raw bytes). */
    public InferAnswer withOutputs(List<OutputTensor> replaced) {
        return new InferAnswer(modelName, modelVersion, id, parameters, replaced);
    }

    /**
     * The answer to request {@code id}: the named outputs, and what decided in {@code parameters}.
     *
     * @param ignored the request's parameters lctserve did not read, listed in the answer's
     */
    public static InferAnswer of(
            String id, InferenceResult result, List<RequestedOutputs.Wanted> wanted, List<String> ignored) {
        LoadedModel model = result.model();
        BatchResult batch = result.batch();
        List<SampleResult> samples = batch.samples();
        int n = samples.size();
        List<OutputTensor> outputs = new ArrayList<>();
        for (RequestedOutputs.Wanted w : wanted) {
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
                            new OutputTensor(
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
                            yield new OutputTensor(CONFIDENCE, "FP32", new long[] {n}, c);
                        }
                        case EXIT_STAGE ->
                            new OutputTensor(
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
        if (result.contract() != null) {
            parameters.putAll(result.contract().parameters());
        }
        parameters.put("deadline_cut", batch.deadlineCut());
        parameters.put("macs_fraction", batch.macsFraction());
        if (!ignored.isEmpty()) {
            parameters.put(IGNORED_PARAMETERS, ignored);
        }
        return new InferAnswer(model.name(), model.version(), id, parameters, outputs);
    }

    /** Triton's classification output: per sample the top k as "value:index:label", most likely first. */
    private static OutputTensor topClasses(List<SampleResult> samples, int k, List<String> labels) {
        List<String> data = new ArrayList<>(samples.size() * k);
        for (SampleResult s : samples) {
            float[] p = s.probabilities();
            Integer[] order = new Integer[p.length];
            for (int c = 0; c < p.length; c++) {
                order[c] = c;
            }
            Arrays.sort(order, (a, b) -> Float.compare(p[b], p[a]));
            for (int j = 0; j < k; j++) {
                int c = order[j];
                data.add(String.format(Locale.ROOT, "%f", p[c]) + ":" + c + ":" + labels.get(c)); // as Triton prints it
            }
        }
        return new OutputTensor(PROBABILITIES, "BYTES", new long[] {samples.size(), k}, data);
    }

    private static OutputTensor probabilities(List<SampleResult> samples, int classes) {
        float[] p = new float[samples.size() * classes];
        for (int i = 0; i < samples.size(); i++) {
            System.arraycopy(samples.get(i).probabilities(), 0, p, i * classes, classes);
        }
        return new OutputTensor(PROBABILITIES, "FP32", new long[] {samples.size(), classes}, p);
    }
}
