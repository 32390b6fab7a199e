package io.lctserve.trainer.training;

import java.util.ArrayList;
import java.util.List;

/** Splits the stages into consecutive groups, one per pipeline worker, so the slowest group is as light as it can be. */
final class StageGroups {

    private StageGroups() {}

    /**
     * Consecutive groups of stage indices, at most {@code groups} of them, minimizing the largest
     * summed cost (exhaustive: networks have a handful of stages).
     */
    static List<int[]> partition(double[] costs, int groups) {
        int n = costs.length;
        int g = Math.min(groups, n);
        double[] prefix = new double[n + 1];
        for (int i = 0; i < n; i++) {
            prefix[i + 1] = prefix[i] + costs[i];
        }
        // best[j][i]: the smallest largest-group cost of stages 0..i-1 in j groups; cut[j][i] the last group's start
        double[][] best = new double[g + 1][n + 1];
        int[][] cut = new int[g + 1][n + 1];
        for (int i = 1; i <= n; i++) {
            best[1][i] = prefix[i];
        }
        for (int j = 2; j <= g; j++) {
            for (int i = j; i <= n; i++) {
                best[j][i] = Double.MAX_VALUE;
                for (int s = j - 1; s < i; s++) {
                    double worst = Math.max(best[j - 1][s], prefix[i] - prefix[s]);
                    if (worst < best[j][i]) {
                        best[j][i] = worst;
                        cut[j][i] = s;
                    }
                }
            }
        }
        List<int[]> result = new ArrayList<>();
        int end = n;
        for (int j = g; j >= 1; j--) {
            int start = j == 1 ? 0 : cut[j][end];
            int[] group = new int[end - start];
            for (int i = 0; i < group.length; i++) {
                group[i] = start + i;
            }
            result.add(0, group);
            end = start;
        }
        return result;
    }
}
