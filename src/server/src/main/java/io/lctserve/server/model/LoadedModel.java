package io.lctserve.server.model;

import ai.onnxruntime.OrtException;
import io.lctserve.core.exit.ComputeCost;
import io.lctserve.core.exit.ExitRule;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.model.StagedModel;
import io.lctserve.runtime.ProgressivePredictor;
import io.lctserve.runtime.SessionSettings;
import io.lctserve.runtime.StagedSessions;
import java.util.LinkedHashMap;
import java.util.Map;

/** A validated staged model opened in ONNX Runtime, with the predictor that walks its stages. */
public final class LoadedModel implements AutoCloseable {

    private final StagedSessions sessions;
    private final ProgressivePredictor predictor;
    private final Map<String, ExitRule> presets = new LinkedHashMap<>();

    private LoadedModel(StagedSessions sessions) {
        this.sessions = sessions;
        this.predictor = new ProgressivePredictor(sessions);
        sessions.manifest().presets().forEach((name, preset) -> presets.put(name, ExitRule.of(preset)));
    }

    /** Opens every graph and runs each stage a few times, so that the first request pays no one-time cost. */
    static LoadedModel open(StagedModel model, SessionSettings settings, int warmUpRounds) throws OrtException {
        LoadedModel loaded = new LoadedModel(StagedSessions.open(model, settings));
        try {
            loaded.predictor.warmUp(warmUpRounds);
        } catch (OrtException | RuntimeException e) {
            loaded.close();
            throw e;
        }
        return loaded;
    }

    public ProgressivePredictor predictor() {
        return predictor;
    }

    public Manifest manifest() {
        return sessions.manifest();
    }

    public String name() {
        return manifest().name();
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

    /** The exit rule of a manifest preset, read once at load; null for a preset the model does not have. */
    public ExitRule preset(String name) {
        return presets.get(name);
    }

    public ComputeCost cost() {
        return sessions.cost();
    }

    @Override
    public void close() {
        sessions.close();
    }
}
