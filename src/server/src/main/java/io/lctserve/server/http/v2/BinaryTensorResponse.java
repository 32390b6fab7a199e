package io.lctserve.server.http.v2;

import io.lctserve.server.protocol.InferAnswer;
import io.lctserve.server.protocol.OutputTensor;
import io.lctserve.server.protocol.RequestedOutputs;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import tools.jackson.databind.json.JsonMapper;

/**
 * An answer in the binary tensor data extension, when the request asked for binary outputs
 * ({@code binary_data_output}, or {@code binary_data} on an output): the JSON answer, in which each
 * binary output has {@code parameters.binary_data_size} instead of {@code data}, then those outputs'
 * values as raw little-endian bytes in order; {@code Inference-Header-Content-Length} says where the
 * JSON ends. Without binary outputs it is the plain JSON answer.
 */
final class BinaryTensorResponse {

    private BinaryTensorResponse() {}

    static ResponseEntity<Object> of(InferAnswer answer, List<RequestedOutputs.Wanted> wanted, JsonMapper json) {
        if (wanted.stream().noneMatch(RequestedOutputs.Wanted::binary)) {
            return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(answer);
        }
        List<OutputTensor> described = new ArrayList<>(answer.outputs().size());
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        for (int i = 0; i < answer.outputs().size(); i++) {
            OutputTensor o = answer.outputs().get(i);
            if (wanted.get(i).binary()) {
                byte[] bytes = o.raw();
                raw.writeBytes(bytes);
                described.add(o.described(bytes.length));
            } else {
                described.add(o);
            }
        }
        byte[] header = json.writeValueAsBytes(answer.withOutputs(described));
        byte[] body = new byte[header.length + raw.size()];
        System.arraycopy(header, 0, body, 0, header.length);
        System.arraycopy(raw.toByteArray(), 0, body, header.length, raw.size());
        return ResponseEntity.ok()
                .contentType(MediaType.APPLICATION_OCTET_STREAM)
                .header(BinaryTensorRequest.HEADER, Integer.toString(header.length))
                .body(body);
    }
}
