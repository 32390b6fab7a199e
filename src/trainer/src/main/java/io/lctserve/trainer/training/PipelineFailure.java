package io.lctserve.trainer.training;

/** The first failure in a pipeline worker; the run stops with it. */
final class PipelineFailure extends IllegalStateException {

    PipelineFailure(String stages, Throwable cause) {
        super(
                "training stopped: the pipeline worker for stage " + stages + " failed: "
                        + (cause.getMessage() == null ? cause.toString() : cause.getMessage()),
                cause);
    }
}
