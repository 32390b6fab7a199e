package io.lctserve.runtime.batching;

/** What the thread that submits a request may do, which decides where a lone request runs. */
public enum Caller {
    /**
     * The caller may compute: a request that finds nothing queued and a worker's share of compute
     * free runs at once on this thread (a hand-off to a worker and back costs two thread wake-ups,
     * as much as the model at batch 1 on a small CPU).
     */
    MAY_COMPUTE,
    /**
     * The caller may compute one stage run but not wait for the rest (a network event loop answering
     * a progressive call): a lone request runs its first stage here, so its first answer leaves from
     * this thread, and its later stages run on the workers.
     */
    MAY_RUN_FIRST_STAGE,
    /** The caller must not block (a network event loop): the request always goes to the workers. */
    MUST_NOT_BLOCK
}
