package io.lctserve.trainer.training;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code --pipeline auto} measures: every worker count from 1 (the stages one after another,
 * all cores as intra-op threads) to the most, each on segments of real training batches. The first
 * epoch starts with a warm-up segment with the most workers (it also times each stage alone, so the
 * pipelines that follow split the stages by measured cost rather than by MACs), then two rounds, the
 * worker counts ascending and then descending, so a machine that speeds up or slows down during the
 * trial favours neither; every later epoch starts with one more round, its order alternating from
 * epoch to epoch. The timings add up over the run and each epoch's rest runs the fastest so far:
 * one trial of a few seconds per setting cannot tell apart two settings 5-10 % apart on a shared
 * machine, whose segments move by more than that, and the later rounds put right what its first
 * choice got wrong. Every trial batch is a real training step in the run's own order: the stages see
 * the same batches with the same parameters whatever runs them, so the trial costs time (a round of
 * the slower setting), never accuracy.
 */
final class PipelineChoice {

    static final int ROUNDS = 2;

    /** Batches per trial segment at most: about 4 s each for the default network on 2 cores. */
    static final int MAX_SEGMENT = 24;

    /** Below this many batches per segment the timings say nothing: run the most workers untimed. */
    static final int MIN_SEGMENT = 4;

    private final int maxWorkers;
    private final int segment;
    private final long[] nanos;
    private final int[] batches;
    private int epochs; // whose trial segments have been scheduled

    /** A trial of 1..{@code maxWorkers} workers in an epoch of {@code epochBatches}, at most half of it. */
    PipelineChoice(int maxWorkers, int epochBatches) {
        this.maxWorkers = maxWorkers;
        int segments = 1 + ROUNDS * maxWorkers;
        int fit = epochBatches / (2 * segments);
        this.segment = fit < MIN_SEGMENT ? 0 : Math.min(MAX_SEGMENT, fit);
        this.nanos = new long[maxWorkers + 1];
        this.batches = new int[maxWorkers + 1];
    }

    /** Batches per trial segment; 0 when the epoch is too short to time anything. */
    int segment() {
        return segment;
    }

    /**
     * Worker counts of epoch {@code epoch}'s trial segments in order (from 1): the first epoch's
     * begins with the untimed warm-up and runs {@link #ROUNDS} rounds, every later epoch's one round.
     */
    List<Integer> schedule(int epoch) {
        epochs = epoch;
        List<Integer> s = new ArrayList<>();
        if (epoch == 1) {
            s.add(maxWorkers);
        }
        int rounds = epoch == 1 ? ROUNDS : 1;
        for (int round = 0; round < rounds; round++) {
            boolean ascending = (epoch == 1 ? round : epoch) % 2 == 0;
            for (int i = 1; i <= maxWorkers; i++) {
                s.add(ascending ? i : maxWorkers + 1 - i);
            }
        }
        return s;
    }

    void record(int workers, int segmentBatches, long segmentNanos) {
        nanos[workers] += segmentNanos;
        batches[workers] += segmentBatches;
    }

    /** The worker count with the most batches per second; the most workers if nothing was timed. */
    int best() {
        int best = maxWorkers;
        for (int w = 1; w <= maxWorkers; w++) {
            if (batches[w] > 0 && (batches[best] == 0 || rate(w) > rate(best))) {
                best = w;
            }
        }
        return best;
    }

    private double rate(int w) {
        return batches[w] / (nanos[w] / 1e9);
    }

    /**
     * The choice and why, for the log and the manifest: each worker count's threads and images/s,
     * with the stage groups the chosen pipeline runs.
     */
    Map<String, Object> record(Parallelism parallelism, int batchSize, String chosenGroups) {
        int chosen = best();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("setting", "auto");
        r.put("workers", chosen);
        r.put("threadsPerWorker", parallelism.threadsPer(chosen));
        r.put("stageGroups", chosenGroups);
        List<Map<String, Object>> trial = new ArrayList<>();
        for (int w = 1; w <= maxWorkers; w++) {
            if (batches[w] > 0) {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("workers", w);
                t.put("threadsPerWorker", parallelism.threadsPer(w));
                t.put("batches", batches[w]);
                t.put("imagesPerSecond", Math.round(rate(w) * batchSize));
                trial.add(t);
            }
        }
        r.put("trial", trial);
        r.put("why", why(parallelism, batchSize, chosenGroups));
        return r;
    }

    private String why(Parallelism parallelism, int batchSize, String chosenGroups) {
        int chosen = best();
        if (batches[chosen] == 0) {
            return String.format(
                    Locale.ROOT,
                    "%d workers (%s) untimed: the first epoch is too short to time a trial of %d segments"
                            + " of %d batches",
                    chosen,
                    chosenGroups,
                    1 + ROUNDS * maxWorkers,
                    MIN_SEGMENT);
        }
        StringBuilder sb = new StringBuilder(describe(parallelism, chosen, chosenGroups) + ": ");
        for (int w = 1; w <= maxWorkers; w++) {
            sb.append(w > 1 ? ", " : "")
                    .append(String.format(
                            Locale.ROOT, "%s %.0f img/s", describe(parallelism, w, null), rate(w) * batchSize));
        }
        return sb.append(String.format(
                        Locale.ROOT,
                        " (%d batches each over %d epoch%s: %d rounds alternating after a warm-up of %d, then"
                                + " one at the start of each later epoch)",
                        batches[chosen],
                        epochs,
                        epochs == 1 ? "" : "s",
                        ROUNDS,
                        segment))
                .toString();
    }

    static String describe(Parallelism parallelism, int workers, String groups) {
        int threads = parallelism.threadsPer(workers);
        String t = threads + (threads == 1 ? " thread" : " threads");
        return workers == 1
                ? "sequential, " + t
                : workers + " pipeline workers x " + t + (groups != null ? " (stages " + groups + ")" : "");
    }
}
