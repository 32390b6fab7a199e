package io.lctserve.core.manifest;

import java.util.ArrayList;
import java.util.List;

/** Four decimals: what manifests and training records keep of fractions and losses. */
public final class Rounding {

    private Rounding() {}

    public static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }

    public static List<Double> rounded(double[] values) {
        List<Double> list = new ArrayList<>();
        for (double v : values) {
            list.add(round(v));
        }
        return list;
    }
}
