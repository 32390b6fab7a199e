package io.lctserve.trainer.training;

/**
 * How local critic training spreads over the cores: the stages one after another on one thread with
 * every core as a PyTorch intra-op thread, or a pipeline of workers (groups of consecutive stages, one
 * thread each) sharing the cores between them; or, with {@code choose}, whichever of those the first
 * epoch's batches measure fastest ({@link PipelineChoice}).
 *
 * @param cores the cores training may use
 * @param workers pipeline workers (1: sequential); under {@code choose}, the most it tries
 * @param choose time each worker count from 1 to {@code workers} on the first batches and keep the fastest
 */
public record Parallelism(int cores, int workers, boolean choose) {

    public Parallelism {
        if (cores < 1) {
            throw new IllegalArgumentException("cores must be >= 1, got " + cores);
        }
        if (workers < 1) {
            throw new IllegalArgumentException("pipeline workers must be >= 1, got " + workers);
        }
    }

    /** The stages one after another on one thread, with {@code cores} intra-op threads. */
    public static Parallelism sequential(int cores) {
        return new Parallelism(cores, 1, false);
    }

    /** Always {@code workers} workers. */
    public static Parallelism pipelined(int workers, int cores) {
        return new Parallelism(cores, workers, false);
    }

    /** Measure 1 to {@code maxWorkers} workers on the first batches and keep the fastest. */
    public static Parallelism choose(int maxWorkers, int cores) {
        return new Parallelism(cores, maxWorkers, maxWorkers > 1);
    }

    /** PyTorch intra-op threads of each of {@code w} workers: their share of the cores. */
    public int threadsPer(int w) {
        return Math.max(1, cores / w);
    }

    /**
     * Whether cascaded critics learn from the next head's loss {@link StagePipeline#LAG} batches late:
     * whenever more than one worker may run, so that a run does not depend on how many did.
     */
    public boolean lagged() {
        return workers > 1;
    }

    /** What {@code --pipeline} said, for the manifest. */
    public String setting() {
        return choose ? "auto" : workers == 1 ? "off" : Integer.toString(workers);
    }
}
