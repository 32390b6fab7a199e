package io.lctserve.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Closed-loop load: {@code concurrency} threads take indexes 0..n-1 in turn, one task in flight each. */
final class Parallel {

    private Parallel() {}

    /** A task for one index; may throw. */
    @FunctionalInterface
    interface Task {
        void run(int index) throws Exception;
    }

    /** Runs {@code task} for every index and returns the wall time in seconds; rethrows the first failure. */
    static double forEachIndex(int n, int concurrency, Task task) throws Exception {
        AtomicInteger next = new AtomicInteger();
        List<Exception> failures = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        long started = System.nanoTime();
        for (int t = 0; t < concurrency; t++) {
            Thread thread = new Thread(() -> {
                for (int i = next.getAndIncrement(); i < n && failures.isEmpty(); i = next.getAndIncrement()) {
                    try {
                        task.run(i);
                    } catch (Exception e) {
                        failures.add(e);
                    }
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
        return (System.nanoTime() - started) / 1e9;
    }
}
