package io.lctserve.server.protocol;

import io.lctserve.server.inference.InvalidRequestException;
import java.util.Arrays;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * The {@code data} of a V2 input tensor: numbers, flat or nested, read straight off the JSON stream
 * in row-major order (no JSON tree: a 28x28 image would be 784 node objects). Nesting must be
 * regular (every array at one depth as long as the others, numbers only at the deepest level), so
 * that {@link #nesting()} can be checked against the tensor's shape.
 *
 * @param values the numbers in order
 * @param count how many there are ({@code values} may be longer)
 * @param firstNonInteger index of the first number with a fraction, or -1
 * @param nesting the length of the arrays at each depth, outermost first ({@code [count]} when flat)
 */
@JsonDeserialize(using = TensorData.Reader.class)
public record TensorData(double[] values, int count, int firstNonInteger, int[] nesting) {

    /** Values given flat, as gRPC's typed contents give them. */
    public static TensorData flat(double[] values) {
        int firstNonInteger = -1;
        for (int i = 0; i < values.length && firstNonInteger < 0; i++) {
            if (values[i] != Math.rint(values[i])) {
                firstNonInteger = i;
            }
        }
        return new TensorData(values, values.length, firstNonInteger, new int[] {values.length});
    }

    private static final int MAX_DEPTH = 16;

    static final class Reader extends ValueDeserializer<TensorData> {

        @Override
        public TensorData deserialize(JsonParser p, DeserializationContext ctxt) {
            if (p.currentToken() != JsonToken.START_ARRAY) {
                throw new InvalidRequestException("inputs[0].data must be a JSON array of numbers");
            }
            double[] values = new double[1024];
            int count = 0;
            int firstNonInteger = -1;
            int depth = 1;
            int[] length = new int[MAX_DEPTH + 2]; // elements so far in the open array at each depth
            int[] seen = new int[MAX_DEPTH + 2]; // the length arrays at each depth have had, or -1
            Arrays.fill(seen, -1);
            int leafDepth = -1; // the depth numbers appear at
            while (depth > 0) {
                JsonToken t = p.nextToken();
                if (t == null) {
                    throw new InvalidRequestException("inputs[0].data ends before its array closes");
                }
                switch (t) {
                    case START_ARRAY -> {
                        if (leafDepth == depth) {
                            throw irregular("mixes numbers and arrays at depth " + depth);
                        }
                        if (depth == MAX_DEPTH) {
                            throw irregular("is nested deeper than " + MAX_DEPTH + " levels");
                        }
                        length[depth]++;
                        depth++;
                    }
                    case END_ARRAY -> {
                        if (seen[depth] < 0) {
                            seen[depth] = length[depth];
                        } else if (seen[depth] != length[depth]) {
                            throw irregular("has arrays of " + seen[depth] + " and of " + length[depth]
                                    + " elements at depth " + depth);
                        }
                        length[depth] = 0;
                        depth--;
                    }
                    case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                        if (leafDepth < 0) {
                            leafDepth = depth;
                        } else if (leafDepth != depth) {
                            throw irregular("has numbers at depths " + leafDepth + " and " + depth);
                        }
                        length[depth]++;
                        if (count == values.length) {
                            values = Arrays.copyOf(values, values.length * 2);
                        }
                        double v = t == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : p.getDoubleValue();
                        if (firstNonInteger < 0 && (t == JsonToken.VALUE_NUMBER_FLOAT && v != Math.rint(v))) {
                            firstNonInteger = count;
                        }
                        values[count++] = v;
                    }
                    default ->
                        throw new InvalidRequestException(
                                "inputs[0].data value #" + count + " is not a number: " + p.getString());
                }
            }
            int levels = Math.max(1, leafDepth);
            return new TensorData(values, count, firstNonInteger, Arrays.copyOfRange(seen, 1, levels + 1));
        }

        private static InvalidRequestException irregular(String problem) {
            return new InvalidRequestException(
                    "inputs[0].data " + problem + ": send it flat or nested exactly as its shape");
        }
    }
}
