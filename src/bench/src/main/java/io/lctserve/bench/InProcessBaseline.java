package io.lctserve.bench;

import ai.onnxruntime.OrtException;
import io.lctserve.core.data.ImageSet;
import io.lctserve.core.exit.Mode;
import io.lctserve.core.model.StagedModel;
import io.lctserve.runtime.BatchResult;
import io.lctserve.runtime.ExitPlan;
import io.lctserve.runtime.ProgressivePredictor;
import io.lctserve.runtime.SessionSettings;
import io.lctserve.runtime.StageListener;
import io.lctserve.runtime.StagedSessions;
import java.lang.management.ManagementFactory;

/**
 * The yardstick for the server's own overhead: the same graphs on the same images, batch 1, full
 * mode, run by plain Java threads through the runtime the server uses, with no HTTP in between.
 */
final class InProcessBaseline implements AutoCloseable {

    private final StagedSessions sessions;
    private final ProgressivePredictor predictor;
    private final ExitPlan full;

    InProcessBaseline(StagedModel model, int intraOpThreads) throws OrtException {
        this.sessions = StagedSessions.open(model, new SessionSettings(intraOpThreads));
        this.predictor = new ProgressivePredictor(sessions);
        this.full = ExitPlan.of(Mode.FULL, null, sessions.exitCount() - 1);
    }

    /**
     * The process's CPU time (every thread: ONNX Runtime's, the JIT's, the collector's) per image over
     * the last {@link #run}'s measured images, as the server's is counted from /proc.
     */
    double cpuNanosPerImage;

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    Measurement run(ImageSet images, int concurrency, int warmup) throws Exception {
        for (int i = 0; i < warmup; i++) {
            classify(images, i % images.size());
        }
        long[] latencies = new long[images.size()];
        BatchResult[] answers = new BatchResult[images.size()];
        long cpuBefore = processCpuNanos();
        double seconds = Parallel.forEachIndex(images.size(), concurrency, i -> {
            long t0 = System.nanoTime();
            answers[i] = classify(images, i);
            latencies[i] = System.nanoTime() - t0;
        });
        cpuNanosPerImage = (processCpuNanos() - cpuBefore) / (double) images.size();
        int correct = 0;
        long exitSum = 0;
        double macsFractionSum = 0;
        for (int i = 0; i < images.size(); i++) {
            BatchResult answer = answers[i];
            correct += answer.samples().get(0).predictedClass() == images.labels()[i] ? 1 : 0;
            exitSum += answer.samples().get(0).exitStage();
            macsFractionSum += answer.macsFraction();
        }
        return new Measurement(
                "in-process ONNX Runtime, full model",
                concurrency,
                latencies,
                seconds,
                correct,
                exitSum,
                macsFractionSum);
    }

    private BatchResult classify(ImageSet images, int index) throws OrtException {
        float[] pixels = new float[images.pixelsPerImage()];
        images.copyScaled(index, pixels, 0);
        return predictor.predict(pixels, images.shape(1), full, StageListener.NONE);
    }

    @Override
    public void close() {
        sessions.close();
    }
}
