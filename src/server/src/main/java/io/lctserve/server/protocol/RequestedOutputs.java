package io.lctserve.server.protocol;

import io.lctserve.server.inference.InvalidRequestException;
import java.util.List;
import java.util.Map;

/**
 * The outputs a request asks for, checked against the model: which of lctserve's four, Triton's
 * classification (top k) on {@code probabilities}, and whether each is sent as raw bytes.
 */
public final class RequestedOutputs {

    static final String PROBABILITIES = "probabilities";
    static final String CLASS = "class";
    static final String CONFIDENCE = "confidence";
    static final String EXIT_STAGE = "exit_stage";
    static final List<String> OUTPUTS = List.of(PROBABILITIES, CLASS, CONFIDENCE, EXIT_STAGE);

    /** Triton's classification extension: the top k classes instead of every probability. */
    static final String CLASS_COUNT = "class_count";

    /** The same under the name Triton's clients send on the wire (their class_count argument). */
    static final String CLASSIFICATION = "classification";

    /** The protocol's output parameter for binary outputs (over the request's binary_data_output). */
    static final String BINARY_DATA = "binary_data";

    private static final List<String> OUTPUT_PARAMETERS = List.of(CLASSIFICATION, CLASS_COUNT, BINARY_DATA);

    private RequestedOutputs() {}

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
    public static List<Wanted> of(
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
}
