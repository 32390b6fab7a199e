package io.lctserve.server.model;

import ai.onnxruntime.OrtException;
import io.lctserve.core.exit.ComputeCost;
import io.lctserve.core.exit.ExitRule;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.Preset;
import io.lctserve.core.model.ModelFolder;
import io.lctserve.core.model.StagedModel;
import io.lctserve.runtime.ProgressivePredictor;
import io.lctserve.runtime.SessionSettings;
import io.lctserve.runtime.StagedSessions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A validated staged model opened in ONNX Runtime, with the predictor that walks its stages (and,
 * with batching, its scheduler). Requests hold it while they use it ({@link #acquire}); a version
 * taken out of the repository is retired and closes when its last request lets go.
 */
public final class LoadedModel implements AutoCloseable {

    private final StagedSessions sessions;
    private final ProgressivePredictor predictor;
    private final Map<String, ExitRule> presets = new LinkedHashMap<>();
    private AutoCloseable scheduler; // guarded by this
    private int users; // guarded by this
    private boolean retired; // guarded by this
    private boolean closed; // guarded by this

    private final byte[] samples;
    private final String name;
    private final LiveAgreement live;
    private final LiveSamples traffic;
    private final ExitProfile exits = new ExitProfile();
    private final Map<String, Recalibrated> recalibrated = new ConcurrentHashMap<>();

    /**
     * A preset's setting as recalibration changed it on live traffic.
     *
     * @param rule the setting now served
     * @param since when it was installed
     * @param samples live samples it was searched on
     * @param disagreement its share of those samples answered otherwise than by the last head
     * @param macsFraction its mean MACs on those samples, as a fraction of the full model's
     * @param manifestDisagreement the manifest's setting's share on the same samples
     */
    public record Recalibrated(
            ExitRule rule,
            Instant since,
            int samples,
            double disagreement,
            double macsFraction,
            double manifestDisagreement) {}

    private LoadedModel(StagedSessions sessions, String name, int verificationWindow) {
        this.sessions = sessions;
        this.name = name;
        this.live = new LiveAgreement(
                sessions.manifest().presets(), verificationWindow, validationImages(sessions.manifest()));
        this.traffic = new LiveSamples(sessions.exitCount(), sessions.classes(), verificationWindow);
        this.samples = readSamples(sessions.model().folder().resolve(ModelFolder.SAMPLES_FILE));
        this.predictor = new ProgressivePredictor(sessions);
        sessions.manifest().presets().forEach((preset, rule) -> presets.put(preset, ExitRule.of(rule)));
    }

    /**
     * Opens every graph and runs each stage a few times, so that the first request pays no one-time
     * cost; served as {@code name} (the manifest's, or the one a one-model folder is given).
     */
    static LoadedModel open(
            StagedModel model, String name, SessionSettings settings, int warmUpRounds, int verificationWindow)
            throws OrtException {
        LoadedModel loaded = new LoadedModel(StagedSessions.open(model, settings), name, verificationWindow);
        try {
            loaded.predictor.warmUp(warmUpRounds);
        } catch (OrtException | RuntimeException e) {
            loaded.close();
            throw e;
        }
        return loaded;
    }

    /** The validation images the manifest's presets were calibrated on, as the trainer records them; 0 if not. */
    private static int validationImages(Manifest manifest) {
        return manifest.training().get("validationImages") instanceof Number n ? n.intValue() : 0;
    }

    /** Largest {@code samples.json} served; a bigger one is left out (the page then offers no samples). */
    static final long MAX_SAMPLES_BYTES = 16L << 20;

    private static byte[] readSamples(Path file) {
        try {
            if (!Files.isRegularFile(file) || Files.size(file) > MAX_SAMPLES_BYTES) {
                return null;
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            return null;
        }
    }

    /** The folder's {@code samples.json} as it was when the model loaded (a few images per class), if any. */
    public Optional<byte[]> samples() {
        return Optional.ofNullable(samples);
    }

    public ProgressivePredictor predictor() {
        return predictor;
    }

    public Manifest manifest() {
        return sessions.manifest();
    }

    public String name() {
        return name;
    }

    /** Its presets' early answers against its last head on live traffic (shadow verification). */
    public LiveAgreement live() {
        return live;
    }

    public String version() {
        return manifest().version();
    }

    public int exitCount() {
        return sessions.exitCount();
    }

    public int classes() {
        return sessions.classes();
    }

    /** How deep its presets' answers go on live traffic, against their settings' expected mean MACs. */
    public ExitProfile exits() {
        return exits;
    }

    /**
     * The mean MACs (fraction of the full model's) a preset's setting is expected to spend: a
     * recalibrated one's on the live samples it was searched on, else the manifest's; null if
     * neither is known.
     */
    public Double expectedMacs(String preset) {
        Recalibrated r = recalibrated.get(preset);
        if (r != null) {
            return r.macsFraction();
        }
        Preset p = manifest().presets().get(preset);
        return p == null ? null : p.meanMacsFraction();
    }

    /**
     * Whether a preset's setting is expected to cost more than the full model ({@link #expectedMacs}
     * above 1): early exit runs every head on the way, so a setting that rarely exits early (a
     * recalibrated "4 heads agree": 1.14) is dearer than full mode, whose answer is the reference it is
     * held to. Such a preset is served in full mode.
     */
    public boolean dearerThanFull(String preset) {
        Double macs = expectedMacs(preset);
        return macs != null && macs > 1.0;
    }

    /** Live samples that ran every head, what recalibration searches on. */
    public LiveSamples traffic() {
        return traffic;
    }

    /**
     * The exit rule a preset answers with: as recalibration set it on live traffic, else the
     * manifest's (read once at load); null for a preset the model does not have.
     */
    public ExitRule preset(String name) {
        Recalibrated r = recalibrated.get(name);
        return r != null ? r.rule() : presets.get(name);
    }

    /** The manifest's exit rule of a preset, whatever recalibration did; null for a preset the model does not have. */
    public ExitRule manifestPreset(String name) {
        return presets.get(name);
    }

    /** Presets whose setting recalibration changed, and to what. */
    public Map<String, Recalibrated> recalibrated() {
        return Map.copyOf(recalibrated);
    }

    /** Serves {@code preset} with a setting found on live traffic; its live window starts again. */
    public void recalibrate(String preset, Recalibrated setting) {
        recalibrated.put(preset, setting);
        live.reset(preset);
    }

    /** Serves {@code preset} with the manifest's setting again; its live window starts again. */
    public void restore(String preset) {
        if (recalibrated.remove(preset) != null) {
            live.reset(preset);
        }
    }

    public ComputeCost cost() {
        return sessions.cost();
    }

    /** Holds the model for one request; false once it is retired (the caller answers 503 or retries). */
    public synchronized boolean acquire() {
        if (retired) {
            return false;
        }
        users++;
        return true;
    }

    /** Lets go of a hold taken by {@link #acquire}; the last one out of a retired model closes it. */
    public void release() {
        boolean close;
        synchronized (this) {
            users--;
            close = retired && users == 0;
        }
        if (close) {
            close();
        }
    }

    /** Takes the model out of service: no new holds; closed now if unused, else when the last hold ends. */
    public void retire() {
        boolean close;
        synchronized (this) {
            retired = true;
            close = users == 0;
        }
        if (close) {
            close();
        }
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    /** The model's batching scheduler, made by {@code create} on first use; closed with the model. */
    public synchronized <T extends AutoCloseable> T scheduler(java.util.function.Supplier<T> create) {
        if (scheduler == null && !closed) {
            scheduler = create.get();
        }
        @SuppressWarnings("unchecked")
        T existing = (T) scheduler;
        return existing;
    }

    @Override
    public void close() {
        AutoCloseable batching;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            retired = true;
            batching = scheduler;
        }
        if (batching != null) {
            try {
                batching.close();
            } catch (Exception e) {
                // its workers are daemons; nothing else to free
            }
        }
        sessions.close();
    }
}
