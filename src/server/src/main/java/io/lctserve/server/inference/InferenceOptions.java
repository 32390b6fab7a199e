package io.lctserve.server.inference;

/**
 * What a request asked for, already checked against the model.
 *
 * @param mode how to walk the stages
 * @param policy when a head answers (early exit only)
 * @param rule where the policy came from, reported back, e.g. {@code preset:balanced}
 * @param lastStage deepest stage to run, 0-based
 * @param deadlineNanos {@link System#nanoTime()} by which to answer, or {@link #NO_DEADLINE}
 * @param collectHeads keep every executed head's probabilities per sample (for people)
 */
public record InferenceOptions(
        Mode mode, ExitPolicy policy, String rule, int lastStage, long deadlineNanos, boolean collectHeads) {

    public static final long NO_DEADLINE = Long.MAX_VALUE;

    public boolean hasDeadline() {
        return deadlineNanos != NO_DEADLINE;
    }
}
