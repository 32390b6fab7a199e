package io.lctserve.server.api.v2;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
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

    /**
     * @param data flat row-major values
     */
    public record Output(String name, String datatype, long[] shape, Object data) {}
}
