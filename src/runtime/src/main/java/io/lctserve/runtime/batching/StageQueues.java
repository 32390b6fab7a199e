package io.lctserve.runtime.batching;

import io.lctserve.runtime.StageDecision;
import io.lctserve.runtime.StageLatency;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;

/**
 * The per-stage queues of a {@link BatchScheduler} and the choices made over them: which queue
 * runs next, how many of its samples, which queued samples a deadline cuts, how long the queued
 * work would take. Not thread-safe: the scheduler's lock guards every call.
 *
 * <p>Order within a queue: priority, then earliest deadline, then arrival. Which queue runs next:
 * the longest one ready (bigger batches), unless a queue's oldest sample has waited longer than
 * {@link #STARVATION_NANOS}, then the one with the oldest sample.
 */
final class StageQueues {

    /** A queue whose oldest sample waited this long runs next, whatever the lengths of the others. */
    static final long STARVATION_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private static final Comparator<QueuedSample> ORDER = Comparator.comparingInt(
                    (QueuedSample s) -> s.request.priority())
            .thenComparingLong(s -> s.request.orderDeadline())
            .thenComparingLong(s -> s.seq);

    private final List<PriorityQueue<QueuedSample>> queues = new ArrayList<>();
    private final BatchingSettings settings;
    private final StageLatency latency;
    private int total;
    private int withDeadline; // beyond stage 0: the ones a deadline may cut while they wait

    StageQueues(int stages, BatchingSettings settings, StageLatency latency) {
        for (int k = 0; k < stages; k++) {
            queues.add(new PriorityQueue<>(ORDER));
        }
        this.settings = settings;
        this.latency = latency;
    }

    int total() {
        return total;
    }

    int[] lengths() {
        return queues.stream().mapToInt(PriorityQueue::size).toArray();
    }

    void add(int stage, QueuedSample s) {
        queues.get(stage).add(s);
        total++;
        if (stage > 0 && s.request.plan().hasDeadline()) {
            withDeadline++;
        }
    }

    /** Whether more is queued than the one batch a worker is about to take (so another should wake). */
    boolean moreThanOneBatch() {
        long busy = queues.stream().filter(q -> !q.isEmpty()).count();
        return busy > 1 || queues.stream().anyMatch(q -> q.size() > settings.maxBatchSize());
    }

    /** Time the queued samples need to run their next stage, spread over the workers. */
    double estimatedWaitNanos() {
        double nanos = 0;
        for (int k = 0; k < queues.size(); k++) {
            nanos += runNanos(k, queues.get(k).size());
        }
        return nanos / settings.workers();
    }

    /** Stage k for {@code samples} of the samples queued there, in batches as large as the queue allows. */
    private double runNanos(int k, int samples) {
        if (samples == 0) {
            return 0;
        }
        int batch = Math.min(queues.get(k).size(), settings.maxBatchSize());
        return latency.predictNanos(k, batch) * samples / batch;
    }

    /**
     * Time the queued samples that run before a new request's first stage need, spread over the
     * workers: every survivor past stage 0 (later stages are preferred), and the stage-0 samples
     * queued ahead of it (higher priority, or the same priority and an earlier deadline).
     */
    double waitAheadNanos(int priority, long orderDeadline) {
        double nanos = 0;
        for (int k = 1; k < queues.size(); k++) {
            nanos += runNanos(k, queues.get(k).size());
        }
        int ahead = 0;
        for (QueuedSample s : queues.get(0)) {
            int p = s.request.priority();
            ahead += p < priority || (p == priority && s.request.orderDeadline() <= orderDeadline) ? 1 : 0;
        }
        return (nanos + runNanos(0, ahead)) / settings.workers();
    }

    /** Takes a request's samples out of every queue. */
    void withdraw(PendingRequest request) {
        queues.forEach(q -> q.removeIf(s -> s.request == request));
        recount();
    }

    /** The queue to run next, or -1 if none is ready. */
    int choose(long now) {
        int chosen = -1;
        long oldestWait = -1;
        for (int k = queues.size() - 1; k >= 0; k--) {
            PriorityQueue<QueuedSample> q = queues.get(k);
            if (q.isEmpty()) {
                continue;
            }
            long waited = now - oldest(q);
            if (q.size() < settings.fullBatch()
                    && waited < settings.maxQueueDelay().toNanos()) {
                continue; // not ready: waits for more samples
            }
            boolean starving = waited > STARVATION_NANOS;
            if (chosen < 0
                    || (starving && waited > oldestWait)
                    || (oldestWait <= STARVATION_NANOS
                            && q.size() > queues.get(chosen).size())) {
                chosen = k;
                oldestWait = waited;
            }
        }
        return chosen;
    }

    /**
     * A batch from stage {@code stage}'s queue, in queue order; a failed request's samples are dropped.
     * With {@code idleWorkers} waiting for work, the queue is shared with them (this batch takes its
     * even share): idle cores beat a bigger batch.
     */
    List<QueuedSample> poll(int stage, int idleWorkers) {
        PriorityQueue<QueuedSample> q = queues.get(stage);
        int n = settings.batchOf(q.size());
        if (idleWorkers > 0) {
            n = Math.min(n, (q.size() + idleWorkers) / (idleWorkers + 1));
        }
        List<QueuedSample> samples = new ArrayList<>(n);
        while (samples.size() < n && !q.isEmpty()) {
            QueuedSample s = q.poll();
            if (!s.request.isDone()) {
                samples.add(s);
            }
        }
        recount();
        return samples;
    }

    /** How long until a queue shorter than a batch has waited out the queue delay, or a deadline needs a look. */
    long untilReadyNanos(long now) {
        long until = Long.MAX_VALUE;
        for (PriorityQueue<QueuedSample> q : queues) {
            if (!q.isEmpty()) {
                until = Math.min(
                        until, Math.max(1, oldest(q) + settings.maxQueueDelay().toNanos() - now));
            }
        }
        if (withDeadline > 0) {
            until = Math.min(until, TimeUnit.MILLISECONDS.toNanos(1)); // deadlines are swept while waiting
        }
        return until;
    }

    /**
     * Samples past stage 0 whose next stage can no longer finish before their deadline: they leave
     * their queue, to be answered from what their heads said so far.
     */
    List<QueuedSample> sweepDeadlines(long now) {
        if (withDeadline == 0) {
            return List.of();
        }
        List<QueuedSample> cut = new ArrayList<>();
        for (int k = 1; k < queues.size(); k++) {
            PriorityQueue<QueuedSample> q = queues.get(k);
            double stageNanos = latency.predictNanos(k, Math.min(q.size(), settings.maxBatchSize()));
            for (Iterator<QueuedSample> it = q.iterator(); it.hasNext(); ) {
                QueuedSample s = it.next();
                if (cutsNow(s, now, stageNanos)) {
                    it.remove();
                    cut.add(s);
                }
            }
        }
        recount();
        return cut;
    }

    /** Whether {@link #sweepDeadlines} would cut a sample now. */
    boolean cutDue(long now) {
        if (withDeadline == 0) {
            return false;
        }
        for (int k = 1; k < queues.size(); k++) {
            PriorityQueue<QueuedSample> q = queues.get(k);
            double stageNanos = latency.predictNanos(k, Math.min(q.size(), settings.maxBatchSize()));
            for (QueuedSample s : q) {
                if (cutsNow(s, now, stageNanos)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Empties every queue; returns what was in them. */
    List<QueuedSample> drain() {
        List<QueuedSample> all = new ArrayList<>();
        queues.forEach(all::addAll);
        queues.forEach(PriorityQueue::clear);
        recount();
        return all;
    }

    /** A sample with a head read can be answered from it when its deadline leaves no time for the next stage. */
    private static boolean cutsNow(QueuedSample s, long now, double stageNanos) {
        return s.trace.hasAnswer() && StageDecision.missesDeadline(s.request.plan(), now, stageNanos);
    }

    private static long oldest(PriorityQueue<QueuedSample> q) {
        long oldest = Long.MAX_VALUE;
        for (QueuedSample s : q) {
            oldest = Math.min(oldest, s.enqueuedNanos);
        }
        return oldest;
    }

    private void recount() {
        total = 0;
        withDeadline = 0;
        for (int k = 0; k < queues.size(); k++) {
            total += queues.get(k).size();
            if (k > 0) {
                for (QueuedSample s : queues.get(k)) {
                    withDeadline += s.request.plan().hasDeadline() ? 1 : 0;
                }
            }
        }
    }
}
