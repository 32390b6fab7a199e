package io.lctserve.runtime.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lctserve.core.data.FashionMnistSlices;
import io.lctserve.core.data.ImageSet;
import io.lctserve.core.exit.ExitRule;
import io.lctserve.core.exit.Mode;
import io.lctserve.core.model.ModelFolder;
import io.lctserve.runtime.BatchResult;
import io.lctserve.runtime.ExitPlan;
import io.lctserve.runtime.ProgressivePredictor;
import io.lctserve.runtime.SampleResult;
import io.lctserve.runtime.SessionSettings;
import io.lctserve.runtime.StageListener;
import io.lctserve.runtime.StagedSessions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Every test image through the batching scheduler, sent concurrently in requests of mixed sizes and
 * knobs, gets the answer the one-request path gives it: same class, same exit stage, probabilities
 * within 1e-5, same cost, whatever batches it happened to share.
 */
class BatchedAnswersOnTheShippedModelTest {

    @Test
    void everyTestImageGetsTheUnbatchedAnswerWhateverItsBatch() throws Exception {
        Path folder = Path.of(System.getProperty("lctserve.models"), "fashion-mnist", "1");
        ImageSet images = FashionMnistSlices.test();
        try (StagedSessions sessions = StagedSessions.open(ModelFolder.load(folder), SessionSettings.defaults())) {
            ProgressivePredictor predictor = new ProgressivePredictor(sessions);
            int last = sessions.exitCount() - 1;
            List<ExitPlan> plans = new ArrayList<>();
            for (String preset : List.of("balanced", "fast", "accurate-entropy", "balanced-patience")) {
                plans.add(ExitPlan.of(
                        Mode.EARLY_EXIT,
                        ExitRule.of(sessions.manifest().presets().get(preset)),
                        last));
            }
            plans.add(ExitPlan.of(Mode.EARLY_EXIT, ExitRule.MaxSoftmax.everyHead(sessions.exitCount(), 0.99), last));
            plans.add(ExitPlan.of(Mode.FULL, null, last));
            plans.add(ExitPlan.of(Mode.ENSEMBLE, null, last));
            plans.add(ExitPlan.of(Mode.STAGE, null, 1));
            plans.add(ExitPlan.of(Mode.EARLY_EXIT, ExitRule.MaxSoftmax.everyHead(sessions.exitCount(), 0.9), 2));

            // requests of 1 to 6 consecutive images, each with one of the plans
            List<int[]> requests = new ArrayList<>(); // {first image, count, plan}
            Random random = new Random(7);
            for (int first = 0; first < images.size(); ) {
                int count = Math.min(1 + random.nextInt(6), images.size() - first);
                requests.add(new int[] {first, count, random.nextInt(plans.size())});
                first += count;
            }
            BatchingSettings settings =
                    new BatchingSettings(16, Duration.ZERO, new int[0], 2, Duration.ofMinutes(5), true);
            AtomicInteger merged = new AtomicInteger();
            StageListener listener = new StageListener() {
                @Override
                public void stageRan(int stage, int samples, long nanos) {}

                @Override
                public void answered(int stage, long macs) {}

                @Override
                public void merged(int stage, int requests) {
                    if (requests > 1) {
                        merged.incrementAndGet();
                    }
                }
            };
            List<BatchResult> batched = new ArrayList<>();
            ScheduledExecutorService timeouts = Executors.newSingleThreadScheduledExecutor();
            try (BatchScheduler scheduler =
                    new BatchScheduler(predictor, listener, ComputePermits.NONE, settings, timeouts, "shipped")) {
                ExecutorService clients = Executors.newFixedThreadPool(16);
                List<Future<BatchResult>> answers = new ArrayList<>();
                for (int[] r : requests) {
                    answers.add(clients.submit(() -> scheduler
                            .submit(
                                    Job.of(pixels(images, r[0], r[1]), shape(r[1]), plans.get(r[2]), 1 + r[2] % 2),
                                    Caller.MAY_COMPUTE)
                            .await()));
                }
                for (Future<BatchResult> answer : answers) {
                    batched.add(answer.get());
                }
                clients.shutdown();
            } finally {
                timeouts.shutdownNow();
            }

            int checked = 0;
            for (int j = 0; j < requests.size(); j++) {
                int[] r = requests.get(j);
                for (int i = 0; i < r[1]; i++) {
                    BatchResult alone = predictor.predict(
                            pixels(images, r[0] + i, 1), shape(1), plans.get(r[2]), StageListener.NONE);
                    SampleResult a = alone.samples().get(0);
                    SampleResult b = batched.get(j).samples().get(i);
                    String what = "image " + (r[0] + i) + " plan " + r[2];
                    assertThat(b.predictedClass()).as(what).isEqualTo(a.predictedClass());
                    assertThat(b.exitStage()).as(what).isEqualTo(a.exitStage());
                    assertThat(b.macs()).as(what).isEqualTo(a.macs());
                    for (int c = 0; c < a.probabilities().length; c++) {
                        assertThat(b.probabilities()[c]).as(what).isCloseTo(a.probabilities()[c], within(1e-5f));
                    }
                    checked++;
                }
            }
            assertThat(checked).isEqualTo(10_000);
            assertThat(merged.get())
                    .as("stage runs that carried samples of several requests")
                    .isPositive();
        }
    }

    private static float[] pixels(ImageSet images, int first, int count) {
        int n = images.pixelsPerImage();
        float[] pixels = new float[count * n];
        for (int i = 0; i < count; i++) {
            images.copyScaled(first + i, pixels, i * n);
        }
        return pixels;
    }

    private static long[] shape(int batch) {
        return new long[] {batch, 1, 28, 28};
    }
}
