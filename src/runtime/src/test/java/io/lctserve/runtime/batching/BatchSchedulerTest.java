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
import io.lctserve.runtime.SampleListener;
import io.lctserve.runtime.SampleResult;
import io.lctserve.runtime.StageListener;
import io.lctserve.runtime.StagedSessions;
import io.lctserve.runtime.ThreeHeadModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batching scheduler on a model whose every head's answer the test chooses. A request that is
 * never answered fails its test after a minute rather than hanging the build.
 */
@Timeout(60)
class BatchSchedulerTest {

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
        timeouts.shutdownNow();
    }

    private static final ScheduledExecutorService timeouts = Executors.newSingleThreadScheduledExecutor();

    private static BatchScheduler scheduler(StageListener listener, BatchingSettings settings) {
        return new BatchScheduler(predictor, listener, ComputePermits.NONE, settings, timeouts, "t");
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
        try (BatchScheduler scheduler = scheduler(recorder, settings(plans.size(), Duration.ofMillis(200), 1))) {
            List<PendingRequest> pending = new ArrayList<>();
            for (ExitPlan plan : plans) {
                pending.add(scheduler.submit(Job.of(pixels(MIXED), shape(MIXED.length), plan, 0), Caller.MAY_COMPUTE));
            }
            for (int r = 0; r < plans.size(); r++) {
                BatchResult batched = pending.get(r).await();
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
        try (BatchScheduler scheduler = scheduler(recorder, settings(4, Duration.ZERO, 2))) {
            BatchResult result = scheduler
                    .submit(Job.of(pixels(images), shape(images.length), plan, 0), Caller.MAY_COMPUTE)
                    .await();

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
        try (BatchScheduler scheduler = scheduler(recorder, settings(2, Duration.ofSeconds(20), 1))) {
            long started = System.nanoTime();
            BatchResult result = scheduler
                    .submit(Job.of(pixels(MIXED[0], MIXED[1]), shape(2), plan, 0), Caller.MAY_COMPUTE)
                    .await();
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
    void higherPriorityRunsFirstAndACancelledRequestLeavesTheQueue() throws Exception {
        ExitPlan full = ExitPlan.of(Mode.FULL, null, 2);
        Recorder recorder = new Recorder(true);
        try (BatchScheduler scheduler = scheduler(recorder, settings(1, Duration.ZERO, 1))) {
            PendingRequest first = scheduler.submit(Job.of(pixels(MIXED[0]), shape(1), full, 5), Caller.MAY_COMPUTE);
            recorder.awaitHeld(); // the one worker is in first's stage 0
            PendingRequest low = scheduler.submit(Job.of(pixels(MIXED[1]), shape(1), full, 5), Caller.MAY_COMPUTE);
            PendingRequest high = scheduler.submit(
                    Job.of(pixels(MIXED[2]), shape(1), ExitPlan.of(Mode.STAGE, null, 0), 1), Caller.MAY_COMPUTE);
            PendingRequest late = scheduler.submit(Job.of(pixels(MIXED[3]), shape(1), full, 9), Caller.MAY_COMPUTE);

            assertThat(scheduler.queueLengths()).containsExactly(3, 0, 0);
            assertThat(scheduler.cancel(late)).isTrue();
            assertThatThrownBy(late::await).isInstanceOf(CancellationException.class);
            assertThat(scheduler.queueLengths()).containsExactly(2, 0, 0);
            recorder.permits.release(); // first's stage 0 ends; the next run is high's, though low came first
            recorder.awaitHeld();
            recorder.permits.release();
            assertThat(high.await().samples().get(0).exitStage()).isZero();
            assertThat(low.isDone()).isFalse();
            recorder.letGo();
            assertThat(low.await().samples().get(0).exitStage()).isEqualTo(2);
            assertThat(first.await().samples()).hasSize(1);
        } finally {
            recorder.letGo();
        }
        // stage 0 ran for first, high and low; never for the cancelled request
        assertThat(recorder.runs.stream().filter(r -> r[0] == 0).count()).isEqualTo(3);
    }

    @Test
    void whenTheQueueHoldsMoreWorkThanTheQueueTimeoutNewRequestsAreRefusedAtOnce() throws Exception {
        ExitPlan plan = ExitPlan.of(Mode.FULL, null, 2);
        ProgressivePredictor slow = new ProgressivePredictor(sessions); // each stage measured at a second
        for (int k = 0; k < 3; k++) {
            slow.latency().record(k, 1, TimeUnit.SECONDS.toNanos(1));
        }
        Recorder recorder = new Recorder(true);
        BatchingSettings halfSecond =
                new BatchingSettings(1, Duration.ZERO, new int[0], 1, Duration.ofMillis(500), false);
        BatchScheduler scheduler = new BatchScheduler(slow, recorder, ComputePermits.NONE, halfSecond, timeouts, "t");
        try {
            scheduler.submit(Job.of(pixels(MIXED[0]), shape(1), plan, 0), Caller.MAY_COMPUTE);
            recorder.awaitHeld();
            PendingRequest queued = scheduler.submit(
                    Job.of(pixels(MIXED[1]), shape(1), plan, 0), Caller.MAY_COMPUTE); // the queue was empty

            assertThatThrownBy(() -> scheduler.submit(Job.of(pixels(MIXED[2]), shape(1), plan, 0), Caller.MAY_COMPUTE))
                    .isInstanceOf(RejectedExecutionException.class)
                    .hasMessageContaining("queue timeout");
            recorder.letGo();
            assertThat(queued.await().samples()).hasSize(1);
        } finally {
            recorder.letGo();
            scheduler.close();
        }
        assertThatThrownBy(() -> scheduler.submit(Job.of(pixels(MIXED[0]), shape(1), plan, 0), Caller.MAY_COMPUTE))
                .isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("unloaded");
    }

    @Test
    void aRequestThatFindsNothingQueuedRunsAtOnceOnItsCallersThread() throws Exception {
        ExitPlan plan = ExitPlan.of(Mode.EARLY_EXIT, ExitRule.MaxSoftmax.everyHead(3, 0.9), 2);
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        StageListener listener = threadsOf(threads);
        BatchingSettings inline = new BatchingSettings(4, Duration.ZERO, new int[0], 1, Duration.ofSeconds(30), true);
        try (BatchScheduler scheduler = scheduler(listener, inline)) {
            PendingRequest request =
                    scheduler.submit(Job.of(pixels(MIXED), shape(MIXED.length), plan, 0), Caller.MAY_COMPUTE);

            assertThat(request.isDone()).isTrue();
            assertThat(request.queueNanos()).isZero();
            assertThat(request.await().samples())
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
        try (BatchScheduler scheduler = scheduler(listener, inline)) {
            PendingRequest request =
                    scheduler.submit(Job.of(pixels(MIXED), shape(MIXED.length), plan, 0), Caller.MUST_NOT_BLOCK);
            request.whenDone(into(heard));

            assertThat(heard.get(30, TimeUnit.SECONDS).samples())
                    .extracting(SampleResult::exitStage)
                    .containsExactly(0, 1, 0, 2, 2);
        }
        // every stage ran on the worker, not on the caller's thread, though the worker was idle
        assertThat(threads).isNotEmpty().containsOnly("lctserve-batch-t-0");
    }

    @Test
    void aCallerThatMayRunTheFirstStageRunsItAndLeavesTheRestToAWorker() throws Exception {
        ExitPlan plan = ExitPlan.of(Mode.EARLY_EXIT, ExitRule.MaxSoftmax.everyHead(3, 0.9), 2);
        BatchingSettings inline = new BatchingSettings(8, Duration.ZERO, new int[0], 1, Duration.ofSeconds(30), true);
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        try (BatchScheduler scheduler = scheduler(threadsOf(threads), inline)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> scheduler.idleWorkers() == 1);
            PendingRequest request =
                    scheduler.submit(Job.of(pixels(MIXED), shape(MIXED.length), plan, 0), Caller.MAY_RUN_FIRST_STAGE);

            assertThat(request.await().samples())
                    .extracting(SampleResult::exitStage)
                    .containsExactly(0, 1, 0, 2, 2);
        }
        // stage 0 on the caller's thread, stages 1 and 2 (the survivors') on the worker
        assertThat(threads)
                .containsExactly(Thread.currentThread().getName(), "lctserve-batch-t-0", "lctserve-batch-t-0");
    }

    @Test
    void aRequestWhoseDeadlineItsFirstStageCannotMeetIsRefusedInsteadOfAnsweredLate() throws Exception {
        ProgressivePredictor measured = new ProgressivePredictor(sessions); // each stage measured at 20 ms
        for (int k = 0; k < 3; k++) {
            measured.latency().record(k, 1, TimeUnit.MILLISECONDS.toNanos(20));
        }
        ExitPlan full = ExitPlan.of(Mode.FULL, null, 2);
        Recorder recorder = new Recorder(true);
        CompletableFuture<BatchResult> heard = new CompletableFuture<>();
        BatchScheduler scheduler = new BatchScheduler(
                measured, recorder, ComputePermits.NONE, settings(1, Duration.ZERO, 1), timeouts, "t");
        try {
            // less time left than the first stage takes: refused at submission, nothing computed
            ExitPlan tooSoon =
                    new ExitPlan(Mode.FULL, null, 2, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5), false);
            assertThatThrownBy(
                            () -> scheduler.submit(Job.of(pixels(MIXED[0]), shape(1), tooSoon, 0), Caller.MAY_COMPUTE))
                    .isInstanceOf(DeadlineRefusal.class)
                    .hasMessageContaining("deadline cannot be met");

            PendingRequest first = scheduler.submit(Job.of(pixels(MIXED[0]), shape(1), full, 0), Caller.MUST_NOT_BLOCK);
            recorder.awaitHeld(); // the one worker is in first's stage 0, and stays there
            long submitted = System.nanoTime();
            ExitPlan inTime = new ExitPlan(Mode.FULL, null, 2, submitted + TimeUnit.MILLISECONDS.toNanos(150), false);
            PendingRequest waiting =
                    scheduler.submit(Job.of(pixels(MIXED[1]), shape(1), inTime, 0), Caller.MUST_NOT_BLOCK);
            waiting.whenDone(into(heard));

            // admitted (nothing queued ahead of it), then out of the queue when its first stage could no
            // longer end by the deadline: about 130 ms in, not at the queue timeout
            assertThatThrownBy(() -> heard.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(DeadlineRefusal.class);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - submitted))
                    .isLessThan(150);
            assertThat(scheduler.queueLengths()).containsExactly(0, 0, 0);
            recorder.letGo();
            assertThat(first.await().samples()).hasSize(1);
        } finally {
            recorder.letGo();
            scheduler.close();
        }
        assertThat(recorder.runs.stream().filter(r -> r[0] == 0).count()).isEqualTo(1); // only first ran
    }

    @Test
    void theQueueTimeoutNeverTakesTheSamplesOfARequestThatHasStarted() throws Exception {
        ExitPlan full = ExitPlan.of(Mode.FULL, null, 2);
        Recorder recorder = new Recorder(true);
        BatchingSettings shortTimeout =
                new BatchingSettings(1, Duration.ZERO, new int[0], 1, Duration.ofMillis(20), false);
        try (BatchScheduler scheduler = scheduler(recorder, shortTimeout)) {
            PendingRequest two =
                    scheduler.submit(Job.of(pixels(MIXED[0], MIXED[1]), shape(2), full, 0), Caller.MUST_NOT_BLOCK);
            recorder.awaitHeld(); // its first sample's stage 0 runs: the request has started
            // a request queued after it times out after it on the one timer thread: once this one has,
            // two's timeout has fired too, with its second sample still queued
            PendingRequest probe = scheduler.submit(Job.of(pixels(MIXED[2]), shape(1), full, 0), Caller.MUST_NOT_BLOCK);
            CompletableFuture<BatchResult> probed = new CompletableFuture<>();
            probe.whenDone(into(probed));
            assertThatThrownBy(() -> probed.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(TimeoutException.class);
            CompletableFuture<BatchResult> heard = new CompletableFuture<>();
            two.whenDone(into(heard));
            recorder.letGo();

            assertThat(heard.get(30, TimeUnit.SECONDS).samples()).hasSize(2); // not left unanswered
        } finally {
            recorder.letGo();
        }
    }

    @Test
    void aRequestWaitedForWithoutBlockingLeavesTheQueueIfItDoesNotStartInTime() throws Exception {
        ExitPlan full = ExitPlan.of(Mode.FULL, null, 2);
        Recorder recorder = new Recorder(true);
        CompletableFuture<BatchResult> heard = new CompletableFuture<>();
        BatchingSettings shortTimeout =
                new BatchingSettings(1, Duration.ZERO, new int[0], 1, Duration.ofMillis(20), false);
        try (BatchScheduler scheduler = scheduler(recorder, shortTimeout)) {
            PendingRequest first = scheduler.submit(Job.of(pixels(MIXED[0]), shape(1), full, 0), Caller.MUST_NOT_BLOCK);
            recorder.awaitHeld(); // the one worker is in first's stage 0
            PendingRequest late = scheduler.submit(Job.of(pixels(MIXED[1]), shape(1), full, 0), Caller.MUST_NOT_BLOCK);
            late.whenDone(into(heard));

            assertThatThrownBy(() -> heard.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(TimeoutException.class);
            assertThat(scheduler.queueLengths()).containsExactly(0, 0, 0);
            recorder.letGo();
            assertThat(first.await().samples()).hasSize(1);
        } finally {
            recorder.letGo();
        }
        assertThat(recorder.runs.stream().filter(r -> r[0] == 0).count()).isEqualTo(1); // late never ran
    }

    @Test
    void idleWorkersShareAQueueRatherThanOneTakingItAll() throws Exception {
        ExitPlan stage0 = ExitPlan.of(Mode.STAGE, null, 0);
        Recorder recorder = new Recorder(false);
        try (BatchScheduler scheduler = scheduler(recorder, settings(8, Duration.ZERO, 2))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> scheduler.idleWorkers() == 2);
            PendingRequest request =
                    scheduler.submit(Job.of(pixels(MIXED), shape(MIXED.length), stage0, 0), Caller.MUST_NOT_BLOCK);

            assertThat(request.await().samples()).hasSize(5);
        }
        // five samples, two idle workers: the first takes 3 and wakes the other (3 + 2, or 3 + 1 + 1 when
        // the first is back before the other woke), never one batch of 5 while a core idles
        List<Integer> batches = recorder.runs.stream().map(r -> r[1]).toList();
        assertThat(batches).hasSizeGreaterThan(1).allMatch(n -> n <= 3);
        assertThat(batches.stream().mapToInt(Integer::intValue).sum()).isEqualTo(5);
    }

    /** Hears a request's answers as they form; cancels its request once it has heard {@code cancelAfter} heads. */
    static class Heard implements SampleListener {
        final List<SampleResult> progressed = Collections.synchronizedList(new ArrayList<>());
        final List<SampleResult> answered = Collections.synchronizedList(new ArrayList<>());
        final int cancelAfter;

        Heard(int cancelAfter) {
            this.cancelAfter = cancelAfter;
        }

        @Override
        public boolean progressive() {
            return true;
        }

        @Override
        public void progressed(int sample, SampleResult soFar) {
            progressed.add(soFar);
        }

        @Override
        public void answered(int sample, SampleResult answer) {
            answered.add(answer);
        }

        @Override
        public boolean cancelled() {
            return progressed.size() >= cancelAfter;
        }
    }

    @Test
    void aProgressiveCallerHearsEachHeadBeforeItsAnswerAloneAndBatched() throws Exception {
        ExitPlan plan = ExitPlan.of(Mode.EARLY_EXIT, ExitRule.MaxSoftmax.everyHead(3, 0.9), 2);
        BatchResult unary = predictor.predict(pixels(MIXED[3]), shape(1), plan, StageListener.NONE);
        BatchingSettings inline = new BatchingSettings(4, Duration.ZERO, new int[0], 1, Duration.ofSeconds(30), true);
        for (Caller caller : Caller.values()) {
            Heard heard = new Heard(Integer.MAX_VALUE);
            try (BatchScheduler scheduler = scheduler(StageListener.NONE, inline)) {
                BatchResult result = scheduler
                        .submit(new Job(pixels(MIXED[3]), shape(1), plan, 0, heard), caller)
                        .await();

                // MIXED[3] is answered by head 2: heads 0 and 1 were heard first, each as its own answer
                assertThat(heard.progressed).extracting(SampleResult::exitStage).containsExactly(0, 1);
                assertThat(heard.progressed.get(1).macs())
                        .isGreaterThan(heard.progressed.get(0).macs());
                assertThat(heard.answered).hasSize(1);
                SampleResult last = heard.answered.get(0);
                SampleResult expected = unary.samples().get(0);
                assertThat(last.exitStage()).as(caller.name()).isEqualTo(2);
                assertThat(last.probabilities()).containsExactly(expected.probabilities());
                assertThat(last.macs()).isEqualTo(expected.macs());
                assertThat(result.samples().get(0).probabilities()).containsExactly(expected.probabilities());
            }
        }
    }

    @Test
    void aCallerThatHasGoneStopsItsWalkAfterTheStageRunning() throws Exception {
        ExitPlan everyHead = ExitPlan.of(Mode.EARLY_EXIT, ExitRule.MaxSoftmax.everyHead(3, 1.0), 2);
        BatchingSettings inline = new BatchingSettings(4, Duration.ZERO, new int[0], 1, Duration.ofSeconds(30), true);
        Recorder alone = new Recorder(false);
        try (BatchScheduler scheduler = scheduler(alone, inline)) {
            PendingRequest request = scheduler.submit(
                    new Job(pixels(MIXED[0]), shape(1), everyHead, 0, new Heard(1)), Caller.MAY_COMPUTE);
            assertThatThrownBy(request::await).isInstanceOf(CancellationException.class);
        }
        assertThat(alone.runs).extracting(run -> run[0]).containsExactly(0);

        Recorder batched = new Recorder(true);
        try (BatchScheduler scheduler = scheduler(batched, settings(4, Duration.ZERO, 1))) {
            PendingRequest request =
                    scheduler.submit(Job.of(pixels(MIXED[0]), shape(1), everyHead, 0), Caller.MUST_NOT_BLOCK);
            batched.awaitHeld(); // the worker is in the request's stage 0
            assertThat(scheduler.cancel(request)).isTrue();
            batched.letGo();
            assertThatThrownBy(request::await).isInstanceOf(CancellationException.class);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> scheduler.idleWorkers() == 1
                            && Arrays.stream(scheduler.queueLengths()).sum() == 0);
        } finally {
            batched.letGo();
        }
        assertThat(batched.runs).extracting(run -> run[0]).containsExactly(0);
    }

    @Test
    void aPausedProgressiveRequestGoesOnAfterItsPauses() throws Exception {
        ExitPlan everyHead = ExitPlan.of(Mode.EARLY_EXIT, ExitRule.MaxSoftmax.everyHead(3, 1.0), 2);
        Heard paused = new Heard(Integer.MAX_VALUE) {
            @Override
            public long pauseNanos() {
                return TimeUnit.MILLISECONDS.toNanos(5);
            }
        };
        try (BatchScheduler scheduler = scheduler(StageListener.NONE, settings(4, Duration.ZERO, 1))) {
            BatchResult result = scheduler
                    .submit(new Job(pixels(MIXED[0]), shape(1), everyHead, 0, paused), Caller.MUST_NOT_BLOCK)
                    .await();

            assertThat(result.samples().get(0).exitStage()).isEqualTo(2);
            assertThat(paused.progressed).extracting(SampleResult::exitStage).containsExactly(0, 1);
        }
    }

    @Test
    void aProgressiveRequestsPauseAfterAnAnswerKeepsItOutOfTheQueuesUntilItsCallerHadTimeToStop() throws Exception {
        ExitPlan everyHead = ExitPlan.of(Mode.EARLY_EXIT, ExitRule.MaxSoftmax.everyHead(3, 1.0), 2);
        Recorder recorder = new Recorder(false);
        Heard paused = new Heard(Integer.MAX_VALUE) {
            @Override
            public long pauseNanos() {
                return TimeUnit.MINUTES.toNanos(1);
            }
        };
        ScheduledThreadPoolExecutor pauses = new ScheduledThreadPoolExecutor(1);
        try (BatchScheduler scheduler = new BatchScheduler(
                predictor, recorder, ComputePermits.NONE, settings(4, Duration.ZERO, 1), pauses, "t")) {
            PendingRequest request =
                    scheduler.submit(new Job(pixels(MIXED[0]), shape(1), everyHead, 0, paused), Caller.MUST_NOT_BLOCK);
            await().atMost(Duration.ofSeconds(30)).until(() -> paused.progressed.size() == 1);
            assertThat(scheduler.queueLengths()).containsExactly(0, 0, 0); // pausing, in no queue

            assertThat(scheduler.cancel(request)).isTrue();
            // the pause ends now rather than in a minute: the sample comes back, and is dropped
            for (Runnable due : pauses.getQueue().toArray(new Runnable[0])) {
                due.run();
            }
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> scheduler.idleWorkers() == 1
                            && Arrays.stream(scheduler.queueLengths()).sum() == 0);
        } finally {
            pauses.shutdownNow();
        }
        assertThat(recorder.runs).extracting(run -> run[0]).containsExactly(0);
    }

    @Test
    void inputThatDoesNotFitTheModelIsRefused() {
        try (BatchScheduler scheduler = scheduler(StageListener.NONE, settings(4, Duration.ZERO, 1))) {
            ExitPlan plan = ExitPlan.of(Mode.FULL, null, 2);
            assertThatThrownBy(() -> scheduler.submit(
                            Job.of(new float[8], new long[] {2, 1, 4, 1}, plan, 0), Caller.MAY_COMPUTE))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("[1, 2, 2]");
            assertThatThrownBy(() -> scheduler.submit(
                            Job.of(new float[4], shape(1), ExitPlan.of(Mode.STAGE, null, 3), 0), Caller.MAY_COMPUTE))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("stage 3");
        }
    }
}
