package io.lctserve.server.grpc;

import com.google.protobuf.UnsafeByteOperations;
import io.lctserve.core.manifest.TensorSpec;
import io.lctserve.protocol.grpc.DataType;
import io.lctserve.protocol.grpc.InferParameter;
import io.lctserve.protocol.grpc.InferStatistics;
import io.lctserve.protocol.grpc.InferTensorContents;
import io.lctserve.protocol.grpc.ModelDynamicBatching;
import io.lctserve.protocol.grpc.ModelInferRequest;
import io.lctserve.protocol.grpc.ModelInferResponse;
import io.lctserve.protocol.grpc.ModelMetadataResponse;
import io.lctserve.protocol.grpc.ModelOutput;
import io.lctserve.protocol.grpc.ModelStatistics;
import io.lctserve.protocol.grpc.ModelTensorReshape;
import io.lctserve.protocol.grpc.RepositoryIndexResponse;
import io.lctserve.protocol.grpc.StatisticDuration;
import io.lctserve.server.inference.InvalidRequestException;
import io.lctserve.server.inference.ModelInput;
import io.lctserve.server.protocol.InferAnswer;
import io.lctserve.server.protocol.InferRequest;
import io.lctserve.server.protocol.ModelConfig;
import io.lctserve.server.protocol.ModelMetadata;
import io.lctserve.server.protocol.OutputTensor;
import io.lctserve.server.protocol.RepositoryIndex;
import io.lctserve.server.protocol.TensorData;
import io.lctserve.server.protocol.TensorDecoder;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.io.JsonStringEncoder;
import tools.jackson.databind.json.JsonMapper;

/**
 * Between the protocol's gRPC messages and its transport-neutral model (io.lctserve.server.protocol),
 * which HTTP reads and answers through too: parameters become the same name/value map,
 * {@code raw_input_contents} and typed {@code contents} the same model input, and the answer's
 * outputs raw little-endian bytes, as Triton answers.
 */
final class GrpcMessages {

    private GrpcMessages() {}

    /** The parameters as JSON would give them: booleans, whole numbers, doubles and text. */
    static Map<String, Object> parameters(Map<String, InferParameter> parameters) {
        if (parameters.isEmpty()) {
            return Map.of();
        }
        Map<String, Object> values = new LinkedHashMap<>();
        parameters.forEach((name, p) -> values.put(name, value(p)));
        return values;
    }

    private static Object value(InferParameter p) {
        return switch (p.getParameterChoiceCase()) {
            case BOOL_PARAM -> p.getBoolParam();
            case INT64_PARAM -> p.getInt64Param();
            case STRING_PARAM -> p.getStringParam();
            case DOUBLE_PARAM -> p.getDoubleParam();
            case UINT64_PARAM ->
                p.getUint64Param() >= 0
                        ? (Object) p.getUint64Param()
                        : new BigInteger(Long.toUnsignedString(p.getUint64Param()));
            case PARAMETERCHOICE_NOT_SET -> null;
        };
    }

    static List<InferRequest.RequestedOutput> outputs(ModelInferRequest request) {
        List<InferRequest.RequestedOutput> outputs = new ArrayList<>(request.getOutputsCount());
        for (ModelInferRequest.InferRequestedOutputTensor o : request.getOutputsList()) {
            outputs.add(new InferRequest.RequestedOutput(o.getName(), parameters(o.getParametersMap())));
        }
        return outputs;
    }

    /** The model input: from {@code raw_input_contents} when the request has them, else typed contents. */
    static ModelInput input(ModelInferRequest request, TensorSpec spec, int maxBatch) {
        List<InferRequest.Input> inputs = new ArrayList<>(request.getInputsCount());
        for (ModelInferRequest.InferInputTensor t : request.getInputsList()) {
            inputs.add(new InferRequest.Input(
                    emptyToNull(t.getName()),
                    new ArrayList<>(t.getShapeList()),
                    emptyToNull(t.getDatatype()),
                    parameters(t.getParametersMap()),
                    t.hasContents() ? contents(t.getDatatype(), t.getContents()) : null));
        }
        int raw = request.getRawInputContentsCount();
        if (raw == 0) {
            return TensorDecoder.decode(inputs, spec, maxBatch, null, "contents");
        }
        if (raw != request.getInputsCount()) {
            throw new InvalidRequestException("raw_input_contents has " + raw + " entries but the request has "
                    + request.getInputsCount() + " inputs; give one per input, in order");
        }
        if (request.getInputs(0).hasContents()) {
            throw new InvalidRequestException("inputs[0] has both contents and raw_input_contents; send one of them");
        }
        ByteBuffer bytes = request.getRawInputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        return TensorDecoder.decodeRaw(inputs, spec, maxBatch, bytes, "raw_input_contents[0]");
    }

    /** The values of the typed field the datatype names; the datatype itself is checked by the decoder. */
    private static TensorData contents(String datatype, InferTensorContents c) {
        int given = c.getBoolContentsCount()
                + c.getIntContentsCount()
                + c.getInt64ContentsCount()
                + c.getUintContentsCount()
                + c.getUint64ContentsCount()
                + c.getFp32ContentsCount()
                + c.getFp64ContentsCount()
                + c.getBytesContentsCount();
        double[] values;
        if ("FP32".equals(datatype) && c.getFp32ContentsCount() == given) {
            values = new double[given];
            for (int i = 0; i < given; i++) {
                values[i] = c.getFp32Contents(i);
            }
        } else if ("UINT8".equals(datatype) && c.getUintContentsCount() == given) {
            values = new double[given];
            for (int i = 0; i < given; i++) {
                values[i] = Integer.toUnsignedLong(c.getUintContents(i));
            }
        } else if ("FP32".equals(datatype) || "UINT8".equals(datatype)) {
            throw new InvalidRequestException("inputs[0].contents of a " + datatype + " tensor go in "
                    + ("FP32".equals(datatype) ? "fp32_contents" : "uint_contents") + " and no other field");
        } else {
            return null; // the decoder names the datatype it does not take
        }
        return TensorData.flat(values);
    }

    static ModelInferResponse response(InferAnswer answer, JsonMapper json) {
        ModelInferResponse.Builder b =
                ModelInferResponse.newBuilder().setModelName(answer.modelName()).setModelVersion(answer.modelVersion());
        if (answer.id() != null) {
            b.setId(answer.id());
        }
        answer.parameters().forEach((name, value) -> b.putParameters(name, parameter(value, json)));
        for (OutputTensor o : answer.outputs()) {
            ModelInferResponse.InferOutputTensor.Builder t = ModelInferResponse.InferOutputTensor.newBuilder()
                    .setName(o.name())
                    .setDatatype(o.datatype());
            for (long d : o.shape()) {
                t.addShape(d);
            }
            b.addOutputs(t);
            b.addRawOutputContents(UnsafeByteOperations.unsafeWrap(o.raw()));
        }
        return b.build();
    }

    /** A response parameter; a list (the labels) is JSON text, since a parameter holds one value. */
    static InferParameter parameter(Object value, JsonMapper json) {
        InferParameter.Builder p = InferParameter.newBuilder();
        if (value instanceof Boolean v) {
            p.setBoolParam(v);
        } else if (value instanceof Integer || value instanceof Long) {
            p.setInt64Param(((Number) value).longValue());
        } else if (value instanceof Number v) {
            p.setDoubleParam(v.doubleValue());
        } else if (value instanceof String v) {
            p.setStringParam(v);
        } else if (value instanceof List<?> list && allStrings(list)) {
            p.setStringParam(stringArray(list)); // every answer's labels: without a serializer's set-up
        } else {
            p.setStringParam(json.writeValueAsString(value));
        }
        return p.build();
    }

    private static boolean allStrings(List<?> list) {
        for (Object o : list) {
            if (!(o instanceof String)) {
                return false;
            }
        }
        return true;
    }

    /** A list of strings as a JSON array, as the JSON mapper writes it. */
    private static String stringArray(List<?> strings) {
        StringBuilder out = new StringBuilder(16 * strings.size() + 2).append('[');
        JsonStringEncoder quote = JsonStringEncoder.getInstance();
        for (int i = 0; i < strings.size(); i++) {
            out.append(i == 0 ? "\"" : ",\"");
            quote.quoteAsString((String) strings.get(i), out);
            out.append('"');
        }
        return out.append(']').toString();
    }

    static ModelMetadataResponse metadata(ModelMetadata m, JsonMapper json) {
        ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder()
                .setName(m.name())
                .addAllVersions(m.versions())
                .setPlatform(m.platform());
        m.inputs().forEach(t -> b.addInputs(tensor(t)));
        m.outputs().forEach(t -> b.addOutputs(tensor(t)));
        m.parameters().forEach((name, value) -> b.putParameters(name, parameter(value, json)));
        return b.build();
    }

    private static ModelMetadataResponse.TensorMetadata tensor(ModelMetadata.TensorMetadata t) {
        return ModelMetadataResponse.TensorMetadata.newBuilder()
                .setName(t.name())
                .setDatatype(t.datatype())
                .addAllShape(t.shape())
                .build();
    }

    /** Triton's model configuration, from the one HTTP serves. */
    static io.lctserve.protocol.grpc.ModelConfig config(ModelConfig c) {
        io.lctserve.protocol.grpc.ModelConfig.Builder b = io.lctserve.protocol.grpc.ModelConfig.newBuilder()
                .setName(c.name())
                .setPlatform(c.platform())
                .setBackend(c.backend())
                .setMaxBatchSize(c.maxBatchSize());
        for (ModelConfig.Tensor t : c.input()) {
            b.addInput(io.lctserve.protocol.grpc.ModelInput.newBuilder() // Triton's, not the server's
                    .setName(t.name())
                    .setDataType(DataType.valueOf(t.dataType()))
                    .addAllDims(t.dims()));
        }
        for (ModelConfig.Tensor t : c.output()) {
            ModelOutput.Builder output = ModelOutput.newBuilder()
                    .setName(t.name())
                    .setDataType(DataType.valueOf(t.dataType()))
                    .addAllDims(t.dims());
            if (t.reshape() != null) {
                output.setReshape(
                        ModelTensorReshape.newBuilder().addAllShape(t.reshape().shape()));
            }
            b.addOutput(output);
        }
        if (c.dynamicBatching() != null) {
            b.setDynamicBatching(ModelDynamicBatching.newBuilder()
                    .addAllPreferredBatchSize(c.dynamicBatching().preferredBatchSize())
                    .setMaxQueueDelayMicroseconds(c.dynamicBatching().maxQueueDelayMicroseconds()));
        }
        return b.build();
    }

    /** Triton's statistics of one model version, from the map HTTP serves. */
    @SuppressWarnings("unchecked")
    static ModelStatistics statistics(Map<String, Object> stats) {
        Map<String, Object> inference = (Map<String, Object>) stats.get("inference_stats");
        return ModelStatistics.newBuilder()
                .setName((String) stats.get("name"))
                .setVersion((String) stats.get("version"))
                .setLastInference(((Number) stats.get("last_inference")).longValue())
                .setInferenceCount(((Number) stats.get("inference_count")).longValue())
                .setExecutionCount(((Number) stats.get("execution_count")).longValue())
                .setInferenceStats(InferStatistics.newBuilder()
                        .setSuccess(duration(inference.get("success")))
                        .setFail(duration(inference.get("fail")))
                        .setQueue(duration(inference.get("queue")))
                        .setComputeInfer(duration(inference.get("compute_infer"))))
                .build();
    }

    @SuppressWarnings("unchecked")
    private static StatisticDuration duration(Object countAndNanos) {
        Map<String, Object> d = (Map<String, Object>) countAndNanos;
        return StatisticDuration.newBuilder()
                .setCount(((Number) d.get("count")).longValue())
                .setNs(((Number) d.get("ns")).longValue())
                .build();
    }

    static RepositoryIndexResponse.ModelIndex index(RepositoryIndex entry) {
        return RepositoryIndexResponse.ModelIndex.newBuilder()
                .setName(entry.name())
                .setVersion(entry.version())
                .setState(entry.state())
                .setReason(entry.reason())
                .build();
    }

    static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
