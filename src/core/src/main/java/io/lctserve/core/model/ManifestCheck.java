package io.lctserve.core.model;

import static io.lctserve.core.model.ModelFolder.quote;

import io.lctserve.core.exit.ExitRule;
import io.lctserve.core.manifest.Evaluation;
import io.lctserve.core.manifest.Head;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.Preprocess;
import io.lctserve.core.manifest.Preset;
import io.lctserve.core.manifest.Stage;
import io.lctserve.core.manifest.TensorSpec;
import io.lctserve.core.model.InvalidModelException.Problem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The manifest's own fields: format, names, labels, input, the stage chain by name, evaluation, presets. */
final class ManifestCheck {

    private final Path folder;
    private final boolean namedByFolders;
    private final List<Problem> problems = new ArrayList<>();

    private ManifestCheck(Path folder, boolean namedByFolders) {
        this.folder = folder;
        this.namedByFolders = namedByFolders;
    }

    /** With {@code namedByFolders} false, the name and version need not match the folders (they are given). */
    static List<Problem> problems(Path folder, Manifest m, boolean namedByFolders) {
        ManifestCheck check = new ManifestCheck(folder, namedByFolders);
        check.manifest(m);
        return check.problems;
    }

    private void manifest(Manifest m) {
        if (!Manifest.FORMAT.equals(m.format())) {
            problem("format", "unknown format " + quote(m.format()) + ", expected \"" + Manifest.FORMAT + "\"");
        }
        folderName("name", m.name(), folder.toAbsolutePath().getParent());
        folderName("version", m.version(), folder.toAbsolutePath());
        labels(m.labels());
        input(m.input());
        preprocess(m.preprocess(), m.input());
        if (m.stages() == null || m.stages().isEmpty()) {
            problem("stages", "missing or empty: a model needs at least one stage");
            return;
        }
        for (int k = 0; k < m.stages().size(); k++) {
            stage(m, k);
        }
        if (m.evaluation() != null) {
            evaluation(m.evaluation(), m.stages().size());
        }
        m.presets().forEach((name, preset) -> preset(name, preset, m.stages().size()));
    }

    private void folderName(String field, String value, Path dir) {
        if (value == null || value.isBlank()) {
            problem(field, "missing");
        } else if (namedByFolders
                && dir != null
                && dir.getFileName() != null
                && !dir.getFileName().toString().equals(value)) {
            problem(
                    field,
                    quote(value) + " does not match its folder "
                            + quote(dir.getFileName().toString()));
        }
    }

    private void labels(List<String> labels) {
        if (labels == null || labels.size() < 2) {
            problem("labels", "a classifier needs at least 2 labels, found " + (labels == null ? 0 : labels.size()));
            return;
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < labels.size(); i++) {
            String label = labels.get(i);
            if (label == null || label.isBlank()) {
                problem("labels[" + i + "]", "blank label");
            } else if (!seen.add(label)) {
                problem("labels[" + i + "]", "duplicate label " + quote(label));
            }
        }
    }

    private void input(TensorSpec input) {
        if (input == null) {
            problem("input", "missing");
            return;
        }
        requireText("input.name", input.name());
        if (!"FP32".equals(input.datatype())) {
            problem("input.datatype", "must be \"FP32\", was " + quote(input.datatype()));
        }
        List<Long> shape = input.shape();
        if (shape == null || shape.size() != 4) {
            problem("input.shape", "must be [-1, C, H, W], was " + shape);
            return;
        }
        if (shape.get(0) != -1) {
            problem("input.shape[0]", "batch dimension must be -1 (dynamic), was " + shape.get(0));
        }
        for (int i = 1; i < 4; i++) {
            if (shape.get(i) == null || shape.get(i) <= 0) {
                problem("input.shape[" + i + "]", "must be a positive size, was " + shape.get(i));
            }
        }
    }

    private void preprocess(Preprocess p, TensorSpec input) {
        if (p == null) {
            return;
        }
        if (!Preprocess.SHORTER_SIDE_CENTER_CROP.equals(p.resize())) {
            problem(
                    "preprocess.resize",
                    "unknown resize policy " + quote(p.resize()) + ", expected \"" + Preprocess.SHORTER_SIDE_CENTER_CROP
                            + "\"");
        }
        if (!Preprocess.BILINEAR.equals(p.interpolation())) {
            problem(
                    "preprocess.interpolation",
                    "unknown interpolation " + quote(p.interpolation()) + ", expected \"" + Preprocess.BILINEAR + "\"");
        }
        Long channels = input == null || input.shape() == null || input.shape().size() != 4
                ? null
                : input.shape().get(1);
        String expected =
                channels == null ? null : channels == 1 ? Preprocess.GREY : channels == 3 ? Preprocess.RGB : null;
        if (p.colour() != null && !p.colour().equals(expected)) {
            problem(
                    "preprocess.colour",
                    quote(p.colour()) + " does not fit an input of " + channels + " channel(s)"
                            + (expected == null
                                    ? " (pictures feed 1 or 3 channels)"
                                    : ", expected \"" + expected + "\""));
        }
    }

    private void stage(Manifest m, int k) {
        String field = "stages[" + k + "]";
        Stage stage = m.stages().get(k);
        if (stage == null) {
            problem(field, "missing");
            return;
        }
        String expectedInput = k == 0
                ? (m.input() == null ? null : m.input().name())
                : m.stages().get(k - 1).output();
        String source = k == 0 ? "input.name" : "stages[" + (k - 1) + "].output";
        graphEntry(field, stage.graph(), stage.input(), stage.output(), stage.macs());
        chain(field + ".input", stage.input(), expectedInput, source);
        Head head = stage.head();
        if (head == null) {
            problem(field + ".head", "missing: every stage needs an exit head");
            return;
        }
        graphEntry(field + ".head", head.graph(), head.input(), head.output(), head.macs());
        chain(field + ".head.input", head.input(), stage.output(), field + ".output");
    }

    private void graphEntry(String field, String graph, String input, String output, long macs) {
        if (requireText(field + ".graph", graph)) {
            Path file = folder.resolve(graph).normalize();
            if (!file.startsWith(folder.normalize()) || !graph.endsWith(".onnx")) {
                problem(field + ".graph", quote(graph) + " must be an .onnx file inside the model folder");
            } else if (!Files.isRegularFile(file)) {
                problem(field + ".graph", "graph file " + quote(graph) + " is missing");
            }
        }
        requireText(field + ".input", input);
        requireText(field + ".output", output);
        if (macs <= 0) {
            problem(field + ".macs", "must be positive, was " + macs);
        }
    }

    private void chain(String field, String actual, String expected, String source) {
        if (actual != null && expected != null && !actual.equals(expected)) {
            problem(field, "expected " + quote(expected) + " (" + source + ") but was " + quote(actual));
        }
    }

    private void evaluation(Evaluation e, int heads) {
        requireText("evaluation.dataset", e.dataset());
        if (e.samples() <= 0) {
            problem("evaluation.samples", "must be positive, was " + e.samples());
        }
        if (e.headAccuracy() == null || e.headAccuracy().size() != heads) {
            problem(
                    "evaluation.headAccuracy",
                    "needs one value per head (" + heads + "), found "
                            + (e.headAccuracy() == null ? 0 : e.headAccuracy().size()));
        } else {
            for (int i = 0; i < heads; i++) {
                fraction("evaluation.headAccuracy[" + i + "]", e.headAccuracy().get(i), false);
            }
        }
        fraction("evaluation.ensembleAccuracy", e.ensembleAccuracy(), true);
        fraction("evaluation.backpropAccuracy", e.backpropAccuracy(), true);
    }

    private void preset(String name, Preset preset, int heads) {
        String field = "presets." + name;
        if (preset == null) {
            problem(field, "missing");
            return;
        }
        ExitRule.problems(preset, heads).forEach(p -> problem(field + "." + p.field(), p.detail()));
        fraction(field + ".testAccuracy", preset.testAccuracy(), true);
        Double cost = preset.meanMacsFraction();
        if (cost != null && !(cost >= 0 && cost < Double.POSITIVE_INFINITY)) {
            problem(field + ".meanMacsFraction", "must be a fraction >= 0 of the full model's MACs, was " + cost);
        }
    }

    private void fraction(String field, Double value, boolean optional) {
        if (value == null) {
            if (!optional) {
                problem(field, "missing");
            }
        } else if (!(value >= 0.0 && value <= 1.0)) {
            problem(field, "must be in [0, 1], was " + value);
        }
    }

    private boolean requireText(String field, String value) {
        if (value == null || value.isBlank()) {
            problem(field, "missing");
            return false;
        }
        return true;
    }

    private void problem(String field, String detail) {
        problems.add(new Problem(ModelFolder.MANIFEST_FILE, field, detail));
    }
}
