package io.lctserve.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.lctserve.core.data.ImageSet;
import io.lctserve.runtime.SessionSettings;
import io.lctserve.runtime.StagedSessions;
import io.lctserve.runtime.Tensors;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(
        name = "stage-batches",
        mixinStandardHelpOptions = true,
        description = "What one sample costs in each stage run (the stage and its head, as the batching worker runs"
                + " them) at each batch size, one ONNX Runtime thread: the size past which a sample costs more again"
                + " is the one to give the server as lctserve.batching.max-batch-size. Sizes alternate within each"
                + " round; prints each size's median over the rounds.")
final class StageBatchesCommand implements Callable<Integer> {

    @Mixin
    TestImages input = new TestImages();

    @Option(names = "--batches", split = ",", description = "Batch sizes. Default: ${DEFAULT-VALUE}")
    int[] batches = {1, 2, 4, 8, 16, 32, 64, 128, 256};

    @Option(names = "--rounds", description = "Rounds over every size. Default: ${DEFAULT-VALUE}")
    int rounds = 3;

    @Option(
            names = "--samples",
            description = "Samples each size runs per round (at least 10 runs). Default: ${DEFAULT-VALUE}")
    int samples = 4000;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (rounds < 1
                || samples < 1
                || batches.length == 0
                || Arrays.stream(batches).anyMatch(b -> b < 1)) {
            throw new ParameterException(
                    spec.commandLine(), "--rounds, --samples and every --batches size must be at least 1");
        }
        Arrays.sort(batches); // the last is the largest
        ImageSet test = input.test();
        PrintWriter out = spec.commandLine().getOut();
        try (StagedSessions sessions = StagedSessions.open(input.model(), new SessionSettings(1))) {
            long[] modelRow = sessions.manifest().input().shape().stream()
                    .skip(1)
                    .mapToLong(Long::longValue)
                    .toArray();
            long[] image = test.shape(1);
            long[] imageRow = Arrays.copyOfRange(image, 1, image.length);
            if (!Arrays.equals(modelRow, imageRow)) {
                throw new ParameterException(
                        spec.commandLine(),
                        "the model in " + input.modelDir + " takes "
                                + Arrays.toString(modelRow) + " per sample, the images in " + input.data + " are "
                                + Arrays.toString(imageRow));
            }
            int stages = sessions.exitCount();
            double[][][] perSample = new double[stages][batches.length][rounds]; // microseconds
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < stages; k++) {
                    for (int i = 0; i < batches.length; i++) {
                        perSample[k][i][r] = microsPerSample(sessions, test, k, batches[i]);
                    }
                }
            }
            out.printf(
                    Locale.ROOT,
                    "%s, one ONNX Runtime thread, median of %d rounds: microseconds per sample%n",
                    input.modelDir,
                    rounds);
            for (int k = 0; k < stages; k++) {
                double[] medians = new double[batches.length];
                int cheapest = 0;
                StringBuilder line = new StringBuilder("stage " + k + " and its head:");
                for (int i = 0; i < batches.length; i++) {
                    double[] sorted = perSample[k][i].clone();
                    Arrays.sort(sorted);
                    medians[i] = sorted[rounds / 2];
                    cheapest = medians[i] < medians[cheapest] ? i : cheapest;
                    line.append(String.format(Locale.ROOT, " %d: %.1f", batches[i], medians[i]));
                }
                int last = batches.length - 1;
                out.printf(
                        Locale.ROOT,
                        "%s; cheapest at %d, the largest (%d) %.2fx of it%n",
                        line,
                        batches[cheapest],
                        batches[last],
                        medians[last] / medians[cheapest]);
            }
        }
        return 0;
    }

    /**
     * Stage k and head k on batches of {@code batch} test images carried through the stages before k
     * (real activations), the input in a direct buffer as the worker's; wall time per sample after
     * as many warm-up runs.
     */
    private double microsPerSample(StagedSessions sessions, ImageSet test, int k, int batch) throws OrtException {
        int per = test.pixelsPerImage();
        float[] pixels = new float[batch * per];
        for (int i = 0; i < batch; i++) {
            test.copyScaled(i % test.size(), pixels, i * per);
        }
        OnnxTensor x = Tensors.fp32(pixels, pixels.length, test.shape(batch));
        AutoCloseable owner = x;
        try {
            for (int j = 0; j < k; j++) {
                OrtSession.Result stage = sessions.runStage(j, x);
                Tensors.closeQuietly(owner);
                owner = stage;
                x = sessions.stageOutput(j, stage);
            }
            FloatBuffer values = x.getFloatBuffer();
            FloatBuffer in = ByteBuffer.allocateDirect(values.remaining() * Float.BYTES)
                    .order(ByteOrder.nativeOrder())
                    .asFloatBuffer();
            in.put(values).rewind();
            long[] shape = x.getInfo().getShape();
            int runs = Math.max(10, samples / batch);
            long nanos = 0;
            for (int run = 0; run < 2 * runs; run++) {
                long started = System.nanoTime();
                try (OnnxTensor stageIn = Tensors.over(in, shape);
                        OrtSession.Result result = sessions.runStage(k, stageIn)) {
                    sessions.headLogits(k, sessions.stageOutput(k, result));
                }
                nanos += run >= runs ? System.nanoTime() - started : 0;
            }
            return nanos / 1e3 / runs / batch;
        } finally {
            Tensors.closeQuietly(owner);
        }
    }
}
