package io.lctserve.trainer.cli;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.lctserve.core.data.ImageSet;
import io.lctserve.core.exit.ComputeCost;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.model.ModelFolder;
import io.lctserve.core.model.StagedModel;
import io.lctserve.runtime.SessionSettings;
import io.lctserve.runtime.StagedSessions;
import io.lctserve.runtime.Tensors;
import io.lctserve.trainer.export.SubmodelExporter;
import java.io.PrintWriter;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "export-submodel",
        mixinStandardHelpOptions = true,
        description = "Writes stages 0..k + head k as one standalone ONNX model in the layout Triton and KServe's"
                + " ONNX runtime load (<name>/config.pbtxt, <name>/1/model.onnx), and checks it against the staged"
                + " path on test images.")
final class ExportSubmodelCommand implements Callable<Integer> {

    /** Test images the joined graph is checked on. */
    static final int CHECK_IMAGES = 1000;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Staged model folder.")
    Path model;

    @Option(names = "--stage", required = true, description = "Last stage k (its head answers).")
    int stage;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Model repository to write into.")
    Path output;

    @Option(names = "--name", description = "Model name in the repository. Default: <model>-exit<k>")
    String name;

    @Option(names = "--max-batch-size", description = "max_batch_size in config.pbtxt. Default: ${DEFAULT-VALUE}")
    int maxBatchSize = 256;

    @Mixin
    DataOptions data = new DataOptions();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        StagedModel staged = ModelFolder.load(model);
        Manifest m = staged.manifest();
        OnnxMl.ModelProto joined = SubmodelExporter.join(staged, stage);
        String modelName = name != null ? name : m.name() + "-exit" + stage;
        Path onnx = SubmodelExporter.writeRepository(joined, m, output, modelName, maxBatchSize);
        ImageSet test = data.test(m, CHECK_IMAGES, spec.commandLine().getErr());
        double maxDifference = compare(staged, onnx, test);
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "wrote %s (and config.pbtxt)%n", onnx);
        out.printf(Locale.ROOT, "%-22s %12s %14s %12s%n", "sub-model", "test acc", "MACs", "parameters");
        out.printf(
                Locale.ROOT,
                "%-22s %11s%% %,14d %,12d%n",
                modelName,
                m.evaluation() == null
                        ? "n/a"
                        : String.format(
                                Locale.ROOT,
                                "%.2f",
                                100 * m.evaluation().headAccuracy().get(stage)),
                ComputeCost.of(m).submodel(stage),
                SubmodelExporter.parameters(joined));
        out.printf(
                Locale.ROOT,
                "standalone vs staged head %d on %d test images: max |logit difference| %.2e%n",
                stage,
                test.size(),
                maxDifference);
        return maxDifference <= 1e-4 ? 0 : 3;
    }

    /** Largest |logit difference| between head {@code stage} of the staged path and the joined graph. */
    private double compare(StagedModel staged, Path onnx, ImageSet images) throws Exception {
        float[] expected;
        try (StagedSessions sessions = StagedSessions.open(staged, SessionSettings.defaults())) {
            expected = sessions.allHeadLogits(images)[stage];
        }
        int n = images.pixelsPerImage();
        float[] pixels = new float[images.size() * n];
        for (int i = 0; i < images.size(); i++) {
            images.copyScaled(i, pixels, i * n);
        }
        String input = staged.manifest().input().name();
        try (OrtSession session = OrtEnvironment.getEnvironment().createSession(onnx.toString());
                OnnxTensor x = Tensors.fp32(pixels, pixels.length, images.shape(images.size()));
                OrtSession.Result result = session.run(Map.of(input, x))) {
            FloatBuffer logits =
                    ((OnnxTensor) result.get(SubmodelExporter.OUTPUT).orElseThrow()).getFloatBuffer();
            double max = 0;
            for (int i = 0; i < expected.length; i++) {
                max = Math.max(max, Math.abs(logits.get(i) - expected[i]));
            }
            return max;
        }
    }
}
