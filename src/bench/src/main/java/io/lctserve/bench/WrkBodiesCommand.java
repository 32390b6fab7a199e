package io.lctserve.bench;

import io.lctserve.core.data.IdxDataset;
import io.lctserve.core.data.ImageSet;
import java.io.BufferedWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "wrk-bodies",
        mixinStandardHelpOptions = true,
        description = "Writes one V2 infer body per test image: one JSON per line for src/bench/wrk/cycle.lua, or"
                + " with --binary, binary tensor data bodies for src/bench/wrk/cycle.lua; with --grpc, one gRPC message for"
                + " h2load.")
final class WrkBodiesCommand implements Callable<Integer> {

    @Option(names = "--out", required = true, description = "File to write.")
    Path out;

    @Option(names = "--parameters", description = "V2 parameters JSON, e.g. {\"preset\":\"balanced\"}.")
    String parameters;

    @Option(names = "--images", description = "How many test images. Default: ${DEFAULT-VALUE}")
    int images = 10_000;

    @Option(names = "--data", description = "IDX data directory. Default: ${DEFAULT-VALUE}")
    Path data = IdxDataset.FASHION_MNIST;

    @Option(
            names = "--fp32",
            description =
                    "JSON bodies with FP32 pixels in [0, 1] as Triton's and KServe's clients send them in JSON mode"
                            + " (default: UINT8 integers).")
    boolean fp32;

    @Option(
            names = "--binary",
            description = "Binary tensor data extension: each record is a line \"<json bytes> <body bytes>\", then the"
                    + " body (JSON, then the image's 784 UINT8 bytes).")
    boolean binary;

    @Option(
            names = "--grpc",
            description = "One gRPC ModelInfer message instead (the 5-byte length prefix, then the protobuf: the first"
                    + " test image, FP32 raw contents, the --parameters) for h2load's -d; needs --model.")
    boolean grpc;

    @Option(names = "--model", description = "The model a --grpc message names. Default: ${DEFAULT-VALUE}")
    String model = "fashion-mnist";

    @Override
    public Integer call() throws Exception {
        ImageSet test = IdxDataset.test(data);
        test = test.slice(0, Math.min(images, test.size()));
        if (grpc) {
            byte[] message = GrpcLoadCommand.requests(
                            test.slice(0, 1), model, 1, "FP32", GrpcLoadCommand.parameters(parameters))
                    .get(0)
                    .toByteArray();
            Files.write(
                    out,
                    ByteBuffer.allocate(5 + message.length)
                            .put((byte) 0) // not compressed
                            .putInt(message.length)
                            .put(message)
                            .array());
            return 0;
        }
        if (binary) {
            writeBinary(test);
            return 0;
        }
        try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            for (byte[] body : HttpLoad.bodies(test, parameters, fp32)) {
                w.write(new String(body, StandardCharsets.UTF_8));
                w.newLine();
            }
        }
        return 0;
    }

    private void writeBinary(ImageSet test) throws java.io.IOException {
        int n = test.pixelsPerImage();
        try (java.io.OutputStream o = new java.io.BufferedOutputStream(Files.newOutputStream(out))) {
            for (int i = 0; i < test.size(); i++) {
                byte[] json = ("{\"inputs\":[{\"name\":\"input\",\"shape\":[1," + test.channels() + "," + test.rows()
                                + "," + test.cols()
                                + "],\"datatype\":\"UINT8\",\"parameters\":{\"binary_data_size\":" + n + "}}]"
                                + (parameters == null ? "" : ",\"parameters\":" + parameters) + "}")
                        .getBytes(StandardCharsets.UTF_8);
                o.write((json.length + " " + (json.length + n) + "\n").getBytes(StandardCharsets.US_ASCII));
                o.write(json);
                o.write(test.pixels(), i * n, n);
            }
        }
    }
}
