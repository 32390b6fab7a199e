package io.lctserve.server.protocol;

import io.lctserve.core.exit.ComputeCost;
import io.lctserve.core.exit.Mode;
import io.lctserve.core.manifest.Evaluation;
import io.lctserve.core.manifest.Preset;
import io.lctserve.server.model.ExitProfile;
import io.lctserve.server.model.LoadedModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * V2 model metadata, plus what a caller needs to pick a trade-off: labels, the cost of each exit,
 * the presets and the measured accuracy.
 */
public record ModelMetadata(
        String name,
        List<String> versions,
        String platform,
        List<TensorMetadata> inputs,
        List<TensorMetadata> outputs,
        Map<String, Object> parameters) {

    public record TensorMetadata(String name, String datatype, List<Long> shape) {}

    public static ModelMetadata of(LoadedModel model, List<String> versions) {
        var m = model.manifest();
        long classes = m.labels().size();
        List<TensorMetadata> outputs = List.of(
                new TensorMetadata(RequestedOutputs.PROBABILITIES, "FP32", List.of(-1L, classes)),
                new TensorMetadata(RequestedOutputs.CLASS, "INT64", List.of(-1L)),
                new TensorMetadata(RequestedOutputs.CONFIDENCE, "FP32", List.of(-1L)),
                new TensorMetadata(RequestedOutputs.EXIT_STAGE, "INT32", List.of(-1L)));
        ComputeCost cost = model.cost();
        List<Map<String, Object>> stages = new ArrayList<>();
        for (int k = 0; k < model.exitCount(); k++) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("stage", k);
            s.put("stageMacs", m.stages().get(k).macs());
            s.put("headMacs", m.stages().get(k).head().macs());
            // what an answer here costs: early exit ran every head so far, mode stage only this one
            s.put("earlyExitMacsFraction", cost.fraction(Mode.EARLY_EXIT, k));
            s.put("stageModeMacsFraction", cost.fraction(Mode.STAGE, k));
            if (m.evaluation() != null) {
                s.put("testAccuracy", m.evaluation().headAccuracy().get(k));
            }
            stages.add(s);
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("version", model.version());
        parameters.put("labels", m.labels());
        parameters.put("fullModelMacs", cost.fullModel());
        parameters.put("stages", stages);
        parameters.put("modes", Arrays.stream(Mode.values()).map(Mode::wireName).toList());
        Map<String, Preset> presets = new LinkedHashMap<>(m.presets());
        parameters.put("presets", presets);
        // shadow verification: each preset's answers against the last head's on live traffic
        parameters.put("live", model.live().snapshot());
        // presets that recalibration set again on live traffic (the manifest's setting is under "presets")
        Map<String, Object> recalibrated = new LinkedHashMap<>();
        model.recalibrated().forEach((preset, r) -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("rule", r.rule().wireName());
            entry.put("setting", r.rule().setting());
            entry.put("since", r.since().toString());
            entry.put("samples", r.samples());
            entry.put("disagreement", r.disagreement());
            entry.put("macsFraction", r.macsFraction());
            entry.put("manifestDisagreement", r.manifestDisagreement());
            entry.put("servedInFullMode", model.dearerThanFull(preset));
            recalibrated.put(preset, entry);
        });
        parameters.put("recalibrated", recalibrated);
        // how deep each preset's answers go on live traffic against its setting's expected MACs, and the newest shift
        parameters.put("exits", model.exits().snapshot());
        ExitProfile.Shift shift = model.exits().shift();
        if (shift != null) {
            Map<String, Object> moved = new LinkedHashMap<>();
            moved.put("preset", shift.preset());
            moved.put("direction", shift.direction());
            moved.put("live", shift.live());
            moved.put("expected", shift.expected());
            moved.put("answers", shift.answers());
            moved.put("when", shift.when().toString());
            moved.put("liveSamplesAt", shift.liveSamplesAt());
            parameters.put("shift", moved);
        }
        Evaluation e = m.evaluation();
        if (e != null) {
            parameters.put("evaluation", e);
        }
        return new ModelMetadata(
                model.name(),
                versions,
                "lctserve_staged_onnx",
                List.of(new TensorMetadata(
                        m.input().name(), m.input().datatype(), m.input().shape())),
                outputs,
                parameters);
    }
}
