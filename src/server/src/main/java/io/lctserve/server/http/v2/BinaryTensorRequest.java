package io.lctserve.server.http.v2;

import io.lctserve.server.http.edge.JsonProblem;
import io.lctserve.server.inference.InvalidRequestException;
import io.lctserve.server.protocol.InferRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * A request in the binary tensor data extension of the Open Inference Protocol (Triton's, which
 * its HTTP client uses by default; sent as application/octet-stream, or with no content type): the
 * body is the JSON request, {@link #HEADER} bytes long, then
 * the raw input tensor, little-endian and row-major, sized by the input's
 * {@code parameters.binary_data_size}.
 *
 * @param request the JSON part
 * @param tensors the bytes after it, little-endian
 */
record BinaryTensorRequest(InferRequest request, ByteBuffer tensors) {

    static final String HEADER = "Inference-Header-Content-Length";

    static BinaryTensorRequest parse(byte[] body, String headerLength, JsonMapper json) {
        if (headerLength == null) { // as Triton reads it: a body without the header is a JSON request
            try {
                return new BinaryTensorRequest(json.readValue(body, InferRequest.class), null);
            } catch (JacksonException e) {
                for (Throwable t = e; t != null; t = t.getCause()) {
                    if (t instanceof InvalidRequestException invalid) {
                        throw invalid;
                    }
                }
                throw new InvalidRequestException("the body is not a JSON request (" + JsonProblem.describe(e)
                        + "); a binary tensor data request gives the length of its JSON in the " + HEADER + " header");
            }
        }
        int length;
        try {
            length = Integer.parseInt(headerLength.trim());
        } catch (NumberFormatException e) {
            length = -1;
        }
        if (length < 0 || length > body.length) {
            throw new InvalidRequestException(HEADER + " must be the length in bytes of the JSON at the start of the"
                    + " body (0.." + body.length + "), was '" + headerLength + "'");
        }
        InferRequest request;
        try {
            request = json.readValue(body, 0, length, InferRequest.class);
        } catch (JacksonException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof InvalidRequestException invalid) {
                    throw invalid;
                }
            }
            throw new InvalidRequestException(
                    "in the first " + length + " bytes of the body (" + HEADER + "): " + JsonProblem.describe(e));
        }
        if (request == null) {
            throw new InvalidRequestException("the first " + length + " bytes of the body hold no JSON request");
        }
        ByteBuffer tensors =
                ByteBuffer.wrap(body, length, body.length - length).slice().order(ByteOrder.LITTLE_ENDIAN);
        return new BinaryTensorRequest(request, tensors);
    }
}
