package io.lctserve.server.api.v2;

import io.lctserve.server.inference.InvalidRequestException;
import java.util.Arrays;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * The {@code data} of a V2 input tensor: numbers, flat or nested to any depth, read straight off
 * the JSON stream in row-major order (no JSON tree: a 28x28 image would be 784 node objects).
 *
 * @param values the numbers in order
 * @param count how many there are ({@code values} may be longer)
 * @param firstNonInteger index of the first number with a fraction, or -1
 */
@JsonDeserialize(using = TensorData.Reader.class)
record TensorData(double[] values, int count, int firstNonInteger) {

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
            while (depth > 0) {
                JsonToken t = p.nextToken();
                if (t == null) {
                    throw new InvalidRequestException("inputs[0].data ends before its array closes");
                }
                switch (t) {
                    case START_ARRAY -> depth++;
                    case END_ARRAY -> depth--;
                    case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
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
            return new TensorData(values, count, firstNonInteger);
        }
    }
}
