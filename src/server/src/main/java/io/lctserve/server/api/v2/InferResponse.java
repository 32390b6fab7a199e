package io.lctserve.server.api.v2;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.lctserve.runtime.BatchResult;
import io.lctserve.runtime.SampleResult;
import io.lctserve.server.api.KnobBinder;
import io.lctserve.server.inference.InferenceResult;
import io.lctserve.server.inference.InvalidRequestException;
import io.lctserve.server.model.LoadedModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
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
     * @param data flat row-major values: float[], long[], int[] or a list of strings (BYTES); null
     *     when they follow the JSON as raw bytes (the binary tensor data extension)
     * @param parameters {@code binary_data_size} for such an output, else null
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Output(String name, String datatype, long[] shape, Map<String, Object> parameters, Object data) {

        Output(String name, String datatype, long[] shape, Object data) {
            this(name, datatype, shape, null, data);
        }

        /** The values as little-endian bytes, BYTES elements each after its 4-byte little-endian length. */
        public byte[] raw() {
            ByteBuffer b;
            if (data instanceof float[] v) {
                b = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(v);
            } else if (data instanceof long[] v) {
                b = ByteBuffer.allocate(v.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                b.asLongBuffer().put(v);
            } else if (data instanceof int[] v) {
                b = ByteBuffer.allocate(v.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                b.asIntBuffer().put(v);
            } else if (data instanceof List<?> strings) {
                List<byte[]> utf8 = strings.stream()
                        .map(s -> String.valueOf(s).getBytes(StandardCharsets.UTF_8))
                        .toList();
                b = ByteBuffer.allocate(utf8.stream()
                                .mapToInt(s -> Integer.BYTES + s.length)
                                .sum())
                        .order(ByteOrder.LITTLE_ENDIAN);
                for (byte[] s : utf8) {
                    b.putInt(s.length).put(s);
                }
            } else {
                throw new IllegalStateException("no raw form for output " + name);
            }
            return b.array();
        }

        /** This output as the binary extension writes it: its description here, its values after the JSON. */
        Output described(int rawBytes) {
            return new Output(name, datatype, shape, Map.of(BINARY_DATA_SIZE, rawBytes), null);
        }
    }

    static final String BINARY_DATA_SIZE = "binary_data_size";

    /** Triton's classification extension: the top k classes instead of every probability. */
    static final String CLASS_COUNT = "class_count";

    /** The same under the name Triton's clients send on the wire (their class_count argument). */
    static final String CLASSIFICATION = "classification";

    /** Response parameter: the request's parameters that lctserve did not read. */
    static final String IGNORED_PARAMETERS = "ignored_parameters";

    /** The protocol's output parameter for binary outputs (over the request's binary_data_output). */
    static final String BINARY_DATA = "binary_data";

    private static final List<String> OUTPUT_PARAMETERS = List.of(CLASSIFICATION, CLASS_COUNT, BINARY_DATA);

    /**
     * An output a request asked for.
     *
     * @param classCount Triton's classification: the top {@code classCount} classes (0: not asked)
     * @param binary its values to follow the JSON as raw bytes (the binary tensor data extension)
     */
    public record Wanted(String name, int classCount, boolean binary) {}

    /**
     * The outputs a request names, every output when it names none.
     *
     * @param binaryByDefault the request's {@code binary_data_output}
     * @param ignored where the output parameters lctserve does not read are added, as "output.name"
     */
    public static List<Wanted> requestedOutputs(
            List<InferRequest.RequestedOutput> requested, int classes, boolean binaryByDefault, List<String> ignored) {
        if (requested == null || requested.isEmpty()) {
            return OUTPUTS.stream()
                    .map(name -> new Wanted(name, 0, binaryByDefault))
                    .toList();
        }
        return requested.stream()
                .map(o -> wanted(o, classes, binaryByDefault, ignored))
                .toList();
    }

    private static Wanted wanted(
            InferRequest.RequestedOutput o, int classes, boolean binaryByDefault, List<String> ignored) {
        if (o == null || !OUTPUTS.contains(o.name())) {
            throw new InvalidRequestException(
                    "unknown output '" + (o == null ? null : o.name()) + "'; outputs are " + OUTPUTS);
        }
        Map<String, Object> parameters = o.parameters() == null ? Map.of() : o.parameters();
        Object topK =
                parameters.get(CLASSIFICATION) != null ? parameters.get(CLASSIFICATION) : parameters.get(CLASS_COUNT);
        for (String name : KnobBinder.ignored(parameters.keySet(), OUTPUT_PARAMETERS, "on output '" + o.name() + "'")) {
            ignored.add(o.name() + "." + name);
        }
        int classCount = topK == null ? 0 : classCount(o.name(), topK, classes);
        boolean binary = parameters.get(BINARY_DATA) == null
                ? binaryByDefault
                : flag(parameters.get(BINARY_DATA), "output '" + o.name() + "' parameter " + BINARY_DATA);
        return new Wanted(o.name(), classCount, binary);
    }

    /** A true/false parameter. */
    public static boolean flag(Object value, String what) {
        if (value instanceof Boolean b) {
            return b;
        }
        throw new InvalidRequestException(what + " must be true or false, was " + value);
    }

    private static int classCount(String output, Object value, int classes) {
        if (!output.equals(PROBABILITIES)) {
            throw new InvalidRequestException(
                    CLASSIFICATION + " (class_count) applies to output " + PROBABILITIES + ", not " + output);
        }
        if (!(value instanceof Integer || value instanceof Long)
                || ((Number) value).longValue() < 1
                || ((Number) value).longValue() > classes) {
            throw new InvalidRequestException(
                    CLASSIFICATION + " (class_count) must be a whole number in 1.." + classes + ", was " + value);
        }
        return ((Number) value).intValue();
    }

    /**
     * The answer to request {@code id}: the named outputs, and what decided in {@code parameters}.
     *
     * @param ignored the request's parameters lctserve did not read, listed in the answer's
     */
    public static InferResponse of(
            LoadedModel model, String id, InferenceResult result, List<Wanted> wanted, List<String> ignored) {
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
        if (!ignored.isEmpty()) {
            parameters.put(IGNORED_PARAMETERS, ignored);
        }
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
