package io.lctserve.runtime.batching;

import static io.lctserve.runtime.ThreeHeadModel.image;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lctserve.core.exit.ExitRule;
import io.lctserve.core.exit.Mode;
import io.lctserve.runtime.BatchResult;
import io.lctserve.runtime.ExitPlan;
import io.lctserve.runtime.ProgressivePredictor;
import io.lctserve.runtime.SampleResult;
import io.lctserve.runtime.StageListener;
import io.lctserve.runtime.StagedSessions;
import io.lctserve.runtime.ThreeHeadModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batching scheduler on a model whose every head's answer the test chooses. */
class BatchSchedulerTest {

    private static final long WAIT = TimeUnit.SECONDS.toNanos(30);

    @TempDir
    static Path root;

    static StagedSessions sessions;
    static ProgressivePredictor predictor;

    @BeforeAll
    static void open() throws Exception {
        sessions = ThreeHeadModel.open(root);
        predictor = new ProgressivePredictor(sessions);
    }

    @AfterAll
    static void close() {
        sessions.close();
    }

    /** Five images that a 0.9 threshold answers at heads 0, 1, 0, 2 and 2. */
    private static final float[][] MIXED = {
        image(0, 3, 0, 0), image(0, 1, 3, 0), image(3, 0, 0, 0), image(0, 1, 1, 1), image(1, 0, 0, 4)
    };

    private static float[] pixels(float[]... images) {
        float[] pixels = new float[images.length * 4];
        for (int i = 0; i < images.length; i++) {
            System.arraycopy(images[i], 0, pixels, i * 4, 4);
        }
        return pixels;
    }

    private static long[] shape(int batch) {
        return new long[] {batch, 1, 2, 2};
    }

    private static BatchingSettings settings(int maxBatch, Duration delay, int workers) {
        return new BatchingSettings(maxBatch, delay, new int[0], workers, Duration.ofSeconds(30), false);
    }

    /** A listener that notes the thread each stage ran on. */
    private static StageListener threadsOf(List<String> threads) {
        return new StageListener() {
            @Override
            public void stageRan(int stage, int samples, long nanos) {
                threads.add(Thread.currentThread().getName());
            }

            @Override
            public void answered(int stage, long macs) {}
        };
    }

    /** Completes {@code heard} with what {@link PendingRequest#whenDone} hears. */
    private static BiConsumer<BatchResult, Throwable> into(CompletableFuture<BatchResult> heard) {
        return (result, error) -> {
            if (error == null) {
                heard.complete(result);
            } else {
                heard.completeExceptionally(error);
            }
        };
    }

    /** Hears stages, merges and degraded answers; can hold the worker in each stage run until let go. */
    static final class Recorder implements StageListener {
        final List<int[]> runs = Collections.synchronizedList(new ArrayList<>()); // {stage, samples}
        final List<int[]> merges = Collections.synchronizedList(new ArrayList<>()); // {stage, requests}
        final List<Integer> degraded = Collections.synchronizedList(new ArrayList<>());
        /** Released each time a worker enters a stage run's report. */
        final Semaphore entered = new Semaphore(0);
        /** Taken before a stage run may go on. */
        final Semaphore permits;

        Recorder(boolean hold) {
            permits = new Semaphore(hold ? 0 : Integer.MAX_VALUE / 2);
        }

        @Override
        public void stageRan(int stage, int samples, long nanos) {
            runs.add(new int[] {stage, samples});
            entered.release();
            permits.acquireUninterruptibly();
        }

        /** Waits until a worker is held in a stage run. */
        void awaitHeld() throws InterruptedException {
            assertThat(entered.tryAcquire(30, TimeUnit.SECONDS)).isTrue();
        }

        void letGo() {
            permits.release(Integer.MAX_VALUE / 2);
        }

        @Override
        public void answered(int stage, long macs) {}

        @Override
        public void degraded(int stage) {
            degraded.add(stage);
        }

        @Override
        public void merged(int stage, int requests) {
            merges.add(new int[] {stage, requests});
        }
    }

    @Test
    void requestsWithDifferentKnobsShareBatchesAndGetTheAnswersTheyGetAlone() throws Exception {
        List<ExitPlan> plans = List.of(
                ExitPlan.of(Mode.EARLY_EXIT, ExitRule.MaxSoftmax.everyHead(3, 0.9), 2),
                ExitPlan.of(Mode.EARLY_EXIT, new ExitRule.Patience(2), 2),
                ExitPlan.of(Mode.FULL, null, 2),
                ExitPlan.of(Mode.ENSEMBLE, null, 2),
                ExitPlan.of(Mode.STAGE, null, 1),
                ExitPlan.of(Mode.EARLY_EXIT, ExitRule.Entropy.everyHead(3, 0.3), 1));
        Recorder recorder = new Recorder(false);
        // a long queue delay: every batch waits until it is full, so the requests must merge
        try (BatchScheduler scheduler = new BatchScheduler(
                predictor, recorder, ComputePermits.NONE, settings(plans.size(), Duration.ofMillis(200), 1), "t")) {
            List<PendingRequest> pending = new ArrayList<>();
            for (ExitPlan plan : plans) {
                pending.add(scheduler.submit(pixels(MIXED), shape(MIXED.length), plan, 0));
            }
            for (int r = 0; r < plans.size(); r++) {
                BatchResult batched = pending.get(r).await(WAIT);
                BatchResult alone =
                        predictor.predict(pixels(MIXED), shape(MIXED.length), plans.get(r), StageListener.NONE);
                assertThat(batched.macsFull()).isEqualTo(alone.macsFull());
                for (int i = 0; i < MIXED.length; i++) {
                    SampleResult b = batched.samples().get(i);
                    SampleResult a = alone.samples().get(i);
                    assertThat(b.exitStage()).as("request %d sample %d", r, i).isEqualTo(a.exitStage());
                    assertThat(b.predictedClass()).isEqualTo(a.predictedClass());
                    assertThat(b.probabilities()).containsExactly(a.probabilities());
                    assertThat(b.macs()).isEqualTo(a.macs());
                    assertThat(b.deadlineCut()).isFalse();
                }
            }
        }
        assertThat(recorder.runs).allSatisfy(run -> assertThat(run[1]).isLessThanOrEqualTo(plans.size()));
        // stage 1 and 2 batches carried survivors of several requests
        assertThat(recorder.merges).anySatisfy(m -> {
            assertThat(m[0]).isPositive();
            assertThat(m[1]).isGreaterThan(1);
        });
    }

    @Test
    void aRequestLargerThanTheMaxBatchIsSplitAndReassembledInOrder() throws Exception {
        float[][] images = new float[12][];
        for (int i = 0; i < images.length; i++) {
            images[i] = MIXED[i % MIXED.length];
        }
        ExitPlan plan = ExitPlan.of(Mode.EARLY_EXIT, ExitRule.MaxSoftmax.everyHead(3, 0.9), 2);
        Recorder recorder = new Recorder(false);
        try (BatchScheduler scheduler =
                new BatchScheduler(predictor, recorder, ComputePermits.NONE, settings(4, Duration.ZERO, 2), "t")) {
            BatchResult result = scheduler
                    .submit(pixels(images), shape(images.length), plan, 0)
                    .await(WAIT);

            assertThat(result.samples()).hasSize(12);
            for (int i = 0; i < images.length; i++) {
                assertThat(result.samples().get(i).exitStage()).isEqualTo(new int[] {0, 1, 0, 2, 2}[i % 5]);
            }
        }
        assertThat(recorder.runs).allSatisfy(run -> assertThat(run[1]).isBetween(1, 4));
        assertThat(recorder.runs.stream()
                        .filter(r -> r[0] == 0)
                        .mapToInt(r -> r[1])
                        .sum())
                .isEqualTo(12);
    }

    @Test
    void aSampleWhoseDeadlineRunsOutWhileItWaitsIsAnsweredFromItsBestHeadSoFar() throws Exception {
        // MIXED[0] exits at head 0; MIXED[1] (head 0 undecided, 0.73 for dog) waits for a stage-1 batch
        // that never fills, and its 100 ms deadline cuts it
        ExitPlan plan = new ExitPlan(
                Mode.EARLY_EXIT,
                ExitRule.MaxSoftmax.everyHead(3, 0.9),
                2,
                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100),
                false);
        Recorder recorder = new Recorder(false);
        try (BatchScheduler scheduler = new BatchScheduler(
                predictor, recorder, ComputePermits.NONE, settings(2, Duration.ofSeconds(20), 1), "t")) {
            long started = System.nanoTime();
            BatchResult result = scheduler
                    .submit(pixels(MIXED[0], MIXED[1]), shape(2), plan, 0)
                    .await(WAIT);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

            assertThat(result.samples().get(0).deadlineCut()).isFalse();
            SampleResult cut = result.samples().get(1);
            assertThat(cut.deadlineCut()).isTrue();
            assertThat(cut.exitStage()).isZero();
            assertThat(cut.predictedClass()).isEqualTo(ThreeHeadModel.DOG);
            assertThat(cut.macs()).isEqualTo(sessions.cost().macs(Mode.EARLY_EXIT, 0));
            assertThat(tookMs).isLessThan(TimeUnit.SECONDS.toMillis(20)); // not the queue delay
        }
        assertThat(recorder.degraded).containsExactly(0);
    }

    @Test
    void higherPriorityRunsFirstAndARequestNotStartedInTimeLeavesTheQueue() throws Exception {
        ExitPlan full = ExitPlan.of(Mode.FULL, null, 2);
        Recorder recorder = new Recorder(true);
        try (BatchScheduler scheduler =
                new BatchScheduler(predictor, recorder, ComputePermits.NONE, settings(1, Duration.ZERO, 1), "t")) {
            PendingRequest first = scheduler.submit(pixels(MIXED[0]), shape(1), full, 5);
            recorder.awaitHeld(); // the one worker is in first's stage 0
            PendingRequest low = scheduler.submit(pixels(MIXED[1]), shape(1), full, 5);
            PendingRequest high = scheduler.submit(pixels(MIXED[2]), shape(1), ExitPlan.of(Mode.STAGE, null, 0), 1);
            PendingRequest late = scheduler.submit(pixels(MIXED[3]), shape(1), full, 9);

            assertThatThrownBy(() -> late.await(TimeUnit.MILLISECONDS.toNanos(20)))
                    .isInstanceOf(TimeoutException.class);
            assertThat(scheduler.queueLengths()).containsExactly(2, 0, 0);
            recorder.permits.release(); // first's stage 0 ends; the next run is high's, though low came first
            recorder.awaitHeld();
            recorder.permits.release();
            assertThat(high.await(WAIT).samples().get(0).exitStage()).isZero();
            assertThat(low.isDone()).isFalse();
            recorder.letGo();
            assertThat(low.await(WAIT).samples().get(0).exitStage()).isEqualTo(2);
            assertThat(first.await(WAIT).samples()).hasSize(1);
        } finally {
            recorder.letGo();
        }
        // stage 0 ran for first, high and low; never for the request that left the queue
        assertThat(recorder.runs.stream().filter(r -> r[0] == 0).count()).isEqualTo(3);
    }

    @Test
    void whenTheQueueHoldsMoreWorkThanTheQueueTimeoutNewRequestsAreRefusedAtOnce() throws Exception {
        ExitPlan plan = ExitPlan.of(Mode.FULL, null, 2);
        predictor.predict(pixels(MIXED), shape(MIXED.length), plan, StageListener.NONE); // latencies measured
        Recorder recorder = new Recorder(true);
        BatchingSettings noWaiting = new BatchingSettings(1, Duration.ZERO, new int[0], 1, Duration.ZERO, false);
        BatchScheduler scheduler = new BatchScheduler(predictor, recorder, ComputePermits.NONE, noWaiting, "t");
        try {
            scheduler.submit(pixels(MIXED[0]), shape(1), plan, 0);
            recorder.awaitHeld();
            PendingRequest queued = scheduler.submit(pixels(MIXED[1]), shape(1), plan, 0); // the queue was empty

            assertThatThrownBy(() -> scheduler.submit(pixels(MIXED[2]), shape(1), plan, 0))
                    .isInstanceOf(RejectedExecutionException.class)
                    .hasMessageContaining("queue timeout");
            recorder.letGo();
            assertThat(queued.await(WAIT).samples()).hasSize(1);
        } finally {
            recorder.letGo();
            scheduler.close();
        }
        assertThatThrownBy(() -> scheduler.submit(pixels(MIXED[0]), shape(1), plan, 0))
                .isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("unloaded");
    }

    @Test
    void aRequestThatFindsNothingQueuedRunsAtOnceOnItsCallersThread() throws Exception {
        ExitPlan plan = ExitPlan.of(Mode.EARLY_EXIT, ExitRule.MaxSoftmax.everyHead(3, 0.9), 2);
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        StageListener listener = threadsOf(threads);
        BatchingSettings inline = new BatchingSettings(4, Duration.ZERO, new int[0], 1, Duration.ofSeconds(30), true);
        try (BatchScheduler scheduler = new BatchScheduler(predictor, listener, ComputePermits.NONE, inline, "t")) {
            PendingRequest request = scheduler.submit(pixels(MIXED), shape(MIXED.length), plan, 0);

            assertThat(request.isDone()).isTrue();
            assertThat(request.queueNanos()).isZero();
            assertThat(request.await(WAIT).samples())
                    .extracting(SampleResult::exitStage)
                    .containsExactly(0, 1, 0, 2, 2);
        }
        assertThat(threads).hasSize(3).containsOnly(Thread.currentThread().getName());
    }

    @Test
    void aCallerThatMustNotBlockHandsItsRequestToAWorkerAndHearsTheAnswerThere() throws Exception {
        ExitPlan plan = ExitPlan.of(Mode.EARLY_EXIT, ExitRule.MaxSoftmax.everyHead(3, 0.9), 2);
        BatchingSettings inline = new BatchingSettings(8, Duration.ZERO, new int[0], 1, Duration.ofSeconds(30), true);
        CompletableFuture<BatchResult> heard = new CompletableFuture<>();
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        StageListener listener = threadsOf(threads);
        try (BatchScheduler scheduler = new BatchScheduler(predictor, listener, ComputePermits.NONE, inline, "t")) {
            PendingRequest request = scheduler.submit(pixels(MIXED), shape(MIXED.length), plan, 0, false);
            request.whenDone(WAIT, into(heard));

            assertThat(heard.get(30, TimeUnit.SECONDS).samples())
                    .extracting(SampleResult::exitStage)
                    .containsExactly(0, 1, 0, 2, 2);
        }
        // every stage ran on the worker, not on the caller's thread, though the worker was idle
        assertThat(threads).isNotEmpty().containsOnly("lctserve-batch-t-0");
    }

    @Test
    void aRequestWaitedForWithoutBlockingLeavesTheQueueIfItDoesNotStartInTime() throws Exception {
        ExitPlan full = ExitPlan.of(Mode.FULL, null, 2);
        Recorder recorder = new Recorder(true);
        CompletableFuture<BatchResult> heard = new CompletableFuture<>();
        try (BatchScheduler scheduler =
                new BatchScheduler(predictor, recorder, ComputePermits.NONE, settings(1, Duration.ZERO, 1), "t")) {
            PendingRequest first = scheduler.submit(pixels(MIXED[0]), shape(1), full, 0, false);
            recorder.awaitHeld(); // the one worker is in first's stage 0
            PendingRequest late = scheduler.submit(pixels(MIXED[1]), shape(1), full, 0, false);
            late.whenDone(TimeUnit.MILLISECONDS.toNanos(20), into(heard));

            assertThatThrownBy(() -> heard.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(TimeoutException.class);
            assertThat(scheduler.queueLengths()).containsExactly(0, 0, 0);
            recorder.letGo();
            assertThat(first.await(WAIT).samples()).hasSize(1);
        } finally {
            recorder.letGo();
        }
        assertThat(recorder.runs.stream().filter(r -> r[0] == 0).count()).isEqualTo(1); // late never ran
    }

    @Test
    void idleWorkersShareAQueueRatherThanOneTakingItAll() throws Exception {
        ExitPlan stage0 = ExitPlan.of(Mode.STAGE, null, 0);
        Recorder recorder = new Recorder(false);
        try (BatchScheduler scheduler =
                new BatchScheduler(predictor, recorder, ComputePermits.NONE, settings(8, Duration.ZERO, 2), "t")) {
            await().atMost(Duration.ofSeconds(30)).until(() -> scheduler.idleWorkers() == 2);
            PendingRequest request = scheduler.submit(pixels(MIXED), shape(MIXED.length), stage0, 0, false);

            assertThat(request.await(WAIT).samples()).hasSize(5);
        }
        // five samples, two idle workers: the first takes 3 and wakes the other (3 + 2, or 3 + 1 + 1 when
        // the first is back before the other woke), never one batch of 5 while a core idles
        List<Integer> batches = recorder.runs.stream().map(r -> r[1]).toList();
        assertThat(batches).hasSizeGreaterThan(1).allMatch(n -> n <= 3);
        assertThat(batches.stream().mapToInt(Integer::intValue).sum()).isEqualTo(5);
    }

    @Test
    void inputThatDoesNotFitTheModelIsRefused() {
        try (BatchScheduler scheduler = new BatchScheduler(
                predictor, StageListener.NONE, ComputePermits.NONE, settings(4, Duration.ZERO, 1), "t")) {
            ExitPlan plan = ExitPlan.of(Mode.FULL, null, 2);
            assertThatThrownBy(() -> scheduler.submit(new float[8], new long[] {2, 1, 4, 1}, plan, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("[1, 2, 2]");
            assertThatThrownBy(() -> scheduler.submit(new float[4], shape(1), ExitPlan.of(Mode.STAGE, null, 3), 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("stage 3");
        }
    }
}
