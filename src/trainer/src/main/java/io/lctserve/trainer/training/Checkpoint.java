package io.lctserve.trainer.training;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import io.lctserve.core.manifest.ManifestJson;
import io.lctserve.trainer.nn.StagedNetwork;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * A run's state at the end of an epoch, in {@value #FILE} inside the output folder: every stage's and
 * head's parameters with their batch-norm statistics, the epochs done and their history, and the data
 * sampler's random state, so that {@code train --resume} goes on with the next epoch on the same data
 * order and the same learning-rate schedule. Momentum and Adam statistics are not kept: they start
 * afresh on resume. Written atomically after every epoch; removed when the run finishes.
 */
public final class Checkpoint {

    public static final String FILE = "checkpoint.lct";
    private static final String MAGIC = "lctserve-checkpoint/1";

    /** What a resumed run starts from. */
    record State(int epochsDone, double wallSeconds, List<Map<String, Object>> history, byte[] sampler) {}

    private Checkpoint() {}

    static void save(Path folder, StagedNetwork network, String settings, State state) throws IOException {
        Path tmp = folder.resolve(FILE + ".tmp");
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
            out.writeUTF(MAGIC);
            writeBytes(out, settings.getBytes(StandardCharsets.UTF_8));
            out.writeInt(state.epochsDone());
            out.writeDouble(state.wallSeconds());
            writeBytes(out, ManifestJson.valueJson(state.history()).getBytes(StandardCharsets.UTF_8));
            writeBytes(out, state.sampler());
            for (int k = 0; k < network.stageCount(); k++) {
                network.stage(k).block().saveParameters(out);
                network.head(k).block().saveParameters(out);
            }
        }
        Files.move(tmp, folder.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Loads the checkpoint in {@code folder} into {@code network} (already initialized).
     *
     * @throws IllegalArgumentException when there is none, or it was written by a run with other settings
     */
    static State load(Path folder, StagedNetwork network, NDManager manager, String settings) throws IOException {
        Path file = folder.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--resume: " + file + " does not exist (a run writes it after each"
                    + " epoch and removes it when it finishes)");
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            if (!MAGIC.equals(in.readUTF())) {
                throw new IllegalArgumentException(file + " is not an lctserve checkpoint");
            }
            String written = new String(readBytes(in), StandardCharsets.UTF_8);
            if (!written.equals(settings)) {
                throw new IllegalArgumentException("--resume: " + file + " was written by a run with other settings;"
                        + " resume with the same command line (it was: " + written + ")");
            }
            int epochs = in.readInt();
            double wall = in.readDouble();
            List<Map<String, Object>> history = JsonMapper.shared()
                    .readValue(new String(readBytes(in), StandardCharsets.UTF_8), new TypeReference<>() {});
            byte[] sampler = readBytes(in);
            for (int k = 0; k < network.stageCount(); k++) {
                network.stage(k).block().loadParameters(manager, in);
                network.head(k).block().loadParameters(manager, in);
                // loaded arrays are new arrays: they must ask for gradients again
                network.stageParameters(k).forEach(p -> p.getArray().setRequiresGradient(true));
                network.headParameters(k).forEach(p -> p.getArray().setRequiresGradient(true));
            }
            return new State(epochs, wall, history, sampler);
        } catch (MalformedModelException | java.io.EOFException e) {
            throw new IllegalArgumentException(file + " is damaged: " + e.getMessage(), e);
        }
    }

    static void remove(Path folder) throws IOException {
        Files.deleteIfExists(folder.resolve(FILE));
    }

    private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 1 << 28) {
            throw new java.io.EOFException("a field of " + n + " bytes");
        }
        return in.readNBytes(n);
    }
}
