package io.lctserve.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * One scenario's outcome over a fixed set of images.
 *
 * @param latenciesNanos per request
 * @param seconds wall time for all requests
 * @param correct images answered with their true label
 * @param exitStageSum sum of exit stages (for the mean)
 * @param macsFractionSum sum of per-request MACs fractions
 */
record Measurement(
        String scenario,
        int concurrency,
        long[] latenciesNanos,
        double seconds,
        int correct,
        long exitStageSum,
        double macsFractionSum) {

    int requests() {
        return latenciesNanos.length;
    }

    double throughput() {
        return requests() / seconds;
    }

    double percentileMillis(double p) {
        long[] sorted = latenciesNanos.clone();
        Arrays.sort(sorted);
        int index = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
        return sorted[Math.max(0, index)] / 1e6;
    }

    String row(double fullThroughput) {
        return String.format(
                Locale.ROOT,
                "| %s | %d | %.0f | %.2fx | %.2f | %.2f | %.2f %% | %.2f | %.3f |",
                scenario,
                concurrency,
                throughput(),
                throughput() / fullThroughput,
                percentileMillis(50),
                percentileMillis(99),
                100.0 * correct / requests(),
                exitStageSum / (double) requests(),
                macsFractionSum / requests());
    }

    static String header() {
        return "| scenario | concurrency | req/s | vs full | p50 ms | p99 ms | accuracy | mean exit stage | MACs fraction |\n"
                + "|---|---|---|---|---|---|---|---|---|";
    }
}
