package io.lctserve.runtime;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

/**
 * How each graph's ONNX Runtime session runs: every graph sequentially on the calling thread's
 * request, fully optimized.
 *
 * @param intraOpThreads threads per graph run; 0 is ONNX Runtime's default (every core). A server
 *     running many requests at once wants 1.
 */
public record SessionSettings(int intraOpThreads) {

    public SessionSettings {
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intra-op threads must be >= 0, was " + intraOpThreads);
        }
    }

    /** ONNX Runtime's own thread count: for one caller working through a data set. */
    public static SessionSettings defaults() {
        return new SessionSettings(0);
    }

    OrtSession.SessionOptions options() throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            if (intraOpThreads > 0) {
                options.setIntraOpNumThreads(intraOpThreads);
            }
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }
}
