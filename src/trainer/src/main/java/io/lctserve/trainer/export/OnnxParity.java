package io.lctserve.trainer.export;

import ai.onnxruntime.OrtException;
import io.lctserve.core.data.ImageSet;
import io.lctserve.core.exit.Probabilities;
import io.lctserve.core.model.StagedModel;
import io.lctserve.runtime.SessionSettings;
import io.lctserve.runtime.StagedSessions;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How closely the exported ONNX graphs reproduce the trained DJL network: the largest absolute
 * logit difference over every head and image, and how many predictions (argmax) differ.
 *
 * @param images images compared
 * @param maxAbsLogitDifference largest |DJL - ONNX| over every logit of every head
 * @param argmaxMismatches head predictions that differ, over all heads
 */
public record OnnxParity(int images, double maxAbsLogitDifference, int argmaxMismatches) {

    /** Images compared after export. */
    public static final int SAMPLES = 1000;

    /** The largest logit difference the export may show. */
    public static final double TOLERANCE = 1e-4;

    public static OnnxParity compare(float[][] djlLogits, StagedModel model, ImageSet images) throws OrtException {
        float[][] onnx;
        try (StagedSessions sessions = StagedSessions.open(model, SessionSettings.defaults())) {
            onnx = sessions.allHeadLogits(images);
        }
        int classes = model.manifest().labels().size();
        double max = 0;
        int mismatches = 0;
        for (int k = 0; k < onnx.length; k++) {
            for (int i = 0; i < onnx[k].length; i++) {
                max = Math.max(max, Math.abs(onnx[k][i] - djlLogits[k][i]));
            }
            for (int s = 0; s < images.size(); s++) {
                if (Probabilities.argMax(onnx[k], s * classes, classes)
                        != Probabilities.argMax(djlLogits[k], s * classes, classes)) {
                    mismatches++;
                }
            }
        }
        return new OnnxParity(images.size(), max, mismatches);
    }

    public boolean withinTolerance() {
        return maxAbsLogitDifference <= TOLERANCE && argmaxMismatches == 0;
    }

    public Map<String, Object> record() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("images", images);
        m.put("maxAbsLogitDifference", maxAbsLogitDifference);
        m.put("argmaxMismatches", argmaxMismatches);
        return m;
    }

    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "ONNX vs DJL on %d images: max |logit difference| %.2e, %d argmax mismatches%s",
                images,
                maxAbsLogitDifference,
                argmaxMismatches,
                withinTolerance() ? "" : " (OVER TOLERANCE)");
    }
}
