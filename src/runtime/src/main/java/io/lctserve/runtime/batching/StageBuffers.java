package io.lctserve.runtime.batching;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The direct buffers one stage run reads its input from and has ONNX Runtime write its outputs into.
 * A batching worker keeps its own from one run to the next ({@link #kept()}), so a stage run neither
 * allocates native memory nor has the JVM zero it (both showed in the server's profile, beside a copy
 * of every output into a new heap buffer that writing into these saves); a caller running a first
 * stage inline gets buffers for that run alone ({@link #once()}), so no request thread holds any.
 * Not thread-safe: one run at a time.
 */
final class StageBuffers {

    /** What a buffer holds during a stage run; each use has its own buffer. */
    enum Use {
        /** The stage's input batch. */
        INPUT,
        /** The stage's output batch (the heads' input, and the survivors' next input). */
        OUTPUT,
        /** The rows of the output a head reads, when not every sample needs the head. */
        GATHERED,
        /** The head's logits. */
        LOGITS
    }

    private final FloatBuffer[] buffers; // null: a new buffer every time

    private StageBuffers(boolean keep) {
        this.buffers = keep ? new FloatBuffer[Use.values().length] : null;
    }

    /** Buffers kept and grown as needed: a worker's. */
    static StageBuffers kept() {
        return new StageBuffers(true);
    }

    /** Buffers allocated for each use and left to the collector: one inline run's. */
    static StageBuffers once() {
        return new StageBuffers(false);
    }

    /** A buffer for {@code use} with room for exactly {@code floats} values, positioned at 0. */
    FloatBuffer take(Use use, int floats) {
        if (buffers == null) {
            return allocate(floats);
        }
        FloatBuffer b = buffers[use.ordinal()];
        if (b == null || b.capacity() < floats) {
            // grown with headroom, so a batch one sample larger does not allocate again
            b = allocate(Math.max(floats, b == null ? floats : Math.min(2 * b.capacity(), Integer.MAX_VALUE / 8)));
            buffers[use.ordinal()] = b;
        }
        b.clear().limit(floats);
        return b;
    }

    private static FloatBuffer allocate(int floats) {
        return ByteBuffer.allocateDirect(floats * Float.BYTES)
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
    }
}
