package io.lctserve.core.model;

import io.lctserve.core.manifest.Head;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.ManifestJson;
import io.lctserve.core.manifest.Preset;
import io.lctserve.core.manifest.Stage;
import io.lctserve.core.manifest.TensorSpec;
import io.lctserve.core.model.InvalidModelException.Problem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import tools.jackson.core.JacksonException;

/**
 * Reads a staged model folder and checks everything a server relies on before it loads a graph:
 * the manifest's fields, that every named graph exists, and that the graphs' declared tensors
 * chain from the model input through every stage to each head's logits.
 */
public final class ModelFolder {

    public static final String MANIFEST_FILE = "manifest.json";
    private static final int ONNX_FLOAT = 1;

    private final Path folder;
    private final List<Problem> problems = new ArrayList<>();

    private ModelFolder(Path folder) {
        this.folder = folder;
    }

    /** Reads and validates the model in {@code folder}, or says everything that is wrong with it. */
    public static StagedModel load(Path folder) throws InvalidModelException {
        ModelFolder check = new ModelFolder(folder);
        Manifest manifest = check.readManifest();
        if (manifest != null) {
            check.checkManifest(manifest);
            if (check.problems.isEmpty()) {
                check.checkGraphs(manifest);
            }
        }
        if (!check.problems.isEmpty()) {
            throw new InvalidModelException(folder, check.problems);
        }
        return new StagedModel(folder, manifest);
    }

    /** Validates a manifest that is about to be written into {@code folder}, graphs included. */
    public static void validate(Path folder, Manifest manifest) throws InvalidModelException {
        ModelFolder check = new ModelFolder(folder);
        check.checkManifest(manifest);
        if (check.problems.isEmpty()) {
            check.checkGraphs(manifest);
        }
        if (!check.problems.isEmpty()) {
            throw new InvalidModelException(folder, check.problems);
        }
    }

    private Manifest readManifest() {
        Path file = folder.resolve(MANIFEST_FILE);
        if (!Files.isRegularFile(file)) {
            problem(MANIFEST_FILE, "(file)", "missing");
            return null;
        }
        try {
            return ManifestJson.read(file);
        } catch (JacksonException e) {
            String field = e.getPathReference() == null || e.getPath().isEmpty() ? "(json)" : jsonPath(e.getPath());
            problem(
                    MANIFEST_FILE,
                    field,
                    "malformed JSON" + location(e) + ": " + firstSentence(e.getOriginalMessage()));
        } catch (IOException e) {
            problem(MANIFEST_FILE, "(file)", "cannot be read: " + e.getMessage());
        }
        return null;
    }

    private static String location(JacksonException e) {
        var loc = e.getLocation();
        return loc == null || loc.getLineNr() < 0
                ? ""
                : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    }

    /** Jackson appends source locations and hints after the first line or parenthesis. */
    private static String firstSentence(String message) {
        String first = message.lines().findFirst().orElse(message);
        int marker = first.indexOf(" (");
        return marker > 0 ? first.substring(0, marker) : first;
    }

    private static String jsonPath(List<JacksonException.Reference> path) {
        StringBuilder sb = new StringBuilder();
        for (JacksonException.Reference ref : path) {
            if (ref.getPropertyName() != null) {
                sb.append(sb.isEmpty() ? "" : ".").append(ref.getPropertyName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private void checkManifest(Manifest m) {
        if (!Manifest.FORMAT.equals(m.format())) {
            manifestProblem("format", "unknown format " + quote(m.format()) + ", expected \"" + Manifest.FORMAT + "\"");
        }
        checkFolderName("name", m.name(), folder.toAbsolutePath().getParent());
        checkFolderName("version", m.version(), folder.toAbsolutePath());
        checkLabels(m.labels());
        checkInput(m.input());
        if (m.stages() == null || m.stages().isEmpty()) {
            manifestProblem("stages", "missing or empty: a model needs at least one stage");
            return;
        }
        for (int k = 0; k < m.stages().size(); k++) {
            checkStage(m, k);
        }
        if (m.evaluation() != null) {
            checkEvaluation(m);
        }
        m.presets().forEach((name, preset) -> checkPreset(m, name, preset));
    }

    private void checkFolderName(String field, String value, Path dir) {
        if (value == null || value.isBlank()) {
            manifestProblem(field, "missing");
        } else if (dir != null
                && dir.getFileName() != null
                && !dir.getFileName().toString().equals(value)) {
            manifestProblem(
                    field,
                    quote(value) + " does not match its folder "
                            + quote(dir.getFileName().toString()));
        }
    }

    private void checkLabels(List<String> labels) {
        if (labels == null || labels.size() < 2) {
            manifestProblem(
                    "labels", "a classifier needs at least 2 labels, found " + (labels == null ? 0 : labels.size()));
            return;
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < labels.size(); i++) {
            String label = labels.get(i);
            if (label == null || label.isBlank()) {
                manifestProblem("labels[" + i + "]", "blank label");
            } else if (!seen.add(label)) {
                manifestProblem("labels[" + i + "]", "duplicate label " + quote(label));
            }
        }
    }

    private void checkInput(TensorSpec input) {
        if (input == null) {
            manifestProblem("input", "missing");
            return;
        }
        requireText("input.name", input.name());
        if (!"FP32".equals(input.datatype())) {
            manifestProblem("input.datatype", "must be \"FP32\", was " + quote(input.datatype()));
        }
        List<Long> shape = input.shape();
        if (shape == null || shape.size() != 4) {
            manifestProblem("input.shape", "must be [-1, C, H, W], was " + shape);
            return;
        }
        if (shape.get(0) != -1) {
            manifestProblem("input.shape[0]", "batch dimension must be -1 (dynamic), was " + shape.get(0));
        }
        for (int i = 1; i < 4; i++) {
            if (shape.get(i) == null || shape.get(i) <= 0) {
                manifestProblem("input.shape[" + i + "]", "must be a positive size, was " + shape.get(i));
            }
        }
    }

    private void checkStage(Manifest m, int k) {
        String field = "stages[" + k + "]";
        Stage stage = m.stages().get(k);
        if (stage == null) {
            manifestProblem(field, "missing");
            return;
        }
        String expectedInput = k == 0
                ? (m.input() == null ? null : m.input().name())
                : m.stages().get(k - 1).output();
        String source = k == 0 ? "input.name" : "stages[" + (k - 1) + "].output";
        checkGraphEntry(field, stage.graph(), stage.input(), stage.output(), stage.macs());
        checkChain(field + ".input", stage.input(), expectedInput, source);
        Head head = stage.head();
        if (head == null) {
            manifestProblem(field + ".head", "missing: every stage needs an exit head");
            return;
        }
        checkGraphEntry(field + ".head", head.graph(), head.input(), head.output(), head.macs());
        checkChain(field + ".head.input", head.input(), stage.output(), field + ".output");
    }

    private void checkGraphEntry(String field, String graph, String input, String output, long macs) {
        if (requireText(field + ".graph", graph)) {
            Path file = folder.resolve(graph).normalize();
            if (!file.startsWith(folder.normalize()) || !graph.endsWith(".onnx")) {
                manifestProblem(field + ".graph", quote(graph) + " must be an .onnx file inside the model folder");
            } else if (!Files.isRegularFile(file)) {
                manifestProblem(field + ".graph", "graph file " + quote(graph) + " is missing");
            }
        }
        requireText(field + ".input", input);
        requireText(field + ".output", output);
        if (macs <= 0) {
            manifestProblem(field + ".macs", "must be positive, was " + macs);
        }
    }

    private void checkChain(String field, String actual, String expected, String source) {
        if (actual != null && expected != null && !actual.equals(expected)) {
            manifestProblem(field, "expected " + quote(expected) + " (" + source + ") but was " + quote(actual));
        }
    }

    private void checkEvaluation(Manifest m) {
        var e = m.evaluation();
        requireText("evaluation.dataset", e.dataset());
        if (e.samples() <= 0) {
            manifestProblem("evaluation.samples", "must be positive, was " + e.samples());
        }
        if (e.headAccuracy() == null || e.headAccuracy().size() != m.stages().size()) {
            manifestProblem(
                    "evaluation.headAccuracy",
                    "needs one value per head (" + m.stages().size() + "), found "
                            + (e.headAccuracy() == null ? 0 : e.headAccuracy().size()));
        } else {
            for (int i = 0; i < e.headAccuracy().size(); i++) {
                checkFraction(
                        "evaluation.headAccuracy[" + i + "]", e.headAccuracy().get(i), false);
            }
        }
        checkFraction("evaluation.ensembleAccuracy", e.ensembleAccuracy(), true);
        checkFraction("evaluation.backpropAccuracy", e.backpropAccuracy(), true);
    }

    private void checkPreset(Manifest m, String name, Preset preset) {
        String field = "presets." + name;
        if (preset == null) {
            manifestProblem(field, "missing");
            return;
        }
        String rule = preset.ruleOrDefault();
        int heads = m.stages().size();
        switch (rule) {
            case Preset.MAX_SOFTMAX, Preset.ENTROPY -> {
                if (preset.thresholds() == null) {
                    manifestProblem(field + ".thresholds", "missing");
                    return;
                }
                if (preset.thresholds().size() != heads) {
                    manifestProblem(
                            field + ".thresholds",
                            "needs one threshold per head (" + heads + "), found "
                                    + preset.thresholds().size());
                }
                if (preset.patience() != null) {
                    manifestProblem(field + ".patience", "applies to rule patience only, not " + rule);
                }
                for (int i = 0; i < preset.thresholds().size(); i++) {
                    String f = field + ".thresholds[" + i + "]";
                    Double t = preset.thresholds().get(i);
                    if (rule.equals(Preset.MAX_SOFTMAX)) {
                        checkFraction(f, t, false);
                    } else if (t == null) {
                        manifestProblem(f, "missing");
                    } else if (!(t >= 0 && t < Double.POSITIVE_INFINITY)) {
                        manifestProblem(f, "an entropy bound must be a number of nats >= 0, was " + t);
                    }
                }
            }
            case Preset.PATIENCE -> {
                if (preset.thresholds() != null) {
                    manifestProblem(field + ".thresholds", "rule patience takes no thresholds, only patience");
                }
                if (preset.patience() == null || preset.patience() < 1 || preset.patience() > heads) {
                    manifestProblem(
                            field + ".patience",
                            "needs how many consecutive heads must agree (1.." + heads + "), was " + preset.patience());
                }
            }
            default ->
                manifestProblem(
                        field + ".rule",
                        "unknown rule '" + rule + "'; use " + Preset.MAX_SOFTMAX + ", " + Preset.ENTROPY + " or "
                                + Preset.PATIENCE);
        }
        checkFraction(field + ".testAccuracy", preset.testAccuracy(), true);
        checkFraction(field + ".meanMacsFraction", preset.meanMacsFraction(), true);
    }

    private void checkFraction(String field, Double value, boolean optional) {
        if (value == null) {
            if (!optional) {
                manifestProblem(field, "missing");
            }
        } else if (!(value >= 0.0 && value <= 1.0)) {
            manifestProblem(field, "must be in [0, 1], was " + value);
        }
    }

    private boolean requireText(String field, String value) {
        if (value == null || value.isBlank()) {
            manifestProblem(field, "missing");
            return false;
        }
        return true;
    }

    /** Checks the graphs' own declared inputs and outputs against the manifest and each other. */
    private void checkGraphs(Manifest m) {
        List<Long> previous = m.input().shape();
        String previousSource = "manifest.json input.shape";
        for (int k = 0; k < m.stages().size(); k++) {
            Stage stage = m.stages().get(k);
            GraphSignature.Tensor out =
                    checkGraph(stage.graph(), stage.input(), stage.output(), previous, previousSource);
            if (out == null) {
                return;
            }
            GraphSignature.Tensor logits = checkGraph(
                    stage.head().graph(),
                    stage.head().input(),
                    stage.head().output(),
                    out.dims(),
                    stage.graph() + " output");
            if (logits != null
                    && !logits.dims().equals(List.of(-1L, (long) m.labels().size()))) {
                problem(
                        stage.head().graph(),
                        "output " + quote(logits.name()),
                        "logits shape " + logits.dims() + " does not match the "
                                + m.labels().size() + " labels (expected [-1, "
                                + m.labels().size() + "])");
            }
            previous = out.dims();
            previousSource = stage.graph() + " output";
        }
    }

    /** Returns the graph's output tensor, or null (with a problem recorded) when it does not fit. */
    private GraphSignature.Tensor checkGraph(
            String graph, String inputName, String outputName, List<Long> inputDims, String inputSource) {
        GraphSignature sig;
        try {
            sig = GraphSignature.read(folder.resolve(graph));
        } catch (IOException | RuntimeException e) {
            problem(graph, "(file)", "not a readable ONNX model: " + e.getMessage());
            return null;
        }
        if (sig.inputs().size() != 1 || sig.outputs().size() != 1) {
            problem(
                    graph,
                    "(graph)",
                    "must have exactly one input and one output, has "
                            + sig.inputs().size() + " inputs and "
                            + sig.outputs().size() + " outputs");
            return null;
        }
        GraphSignature.Tensor in = sig.inputs().get(0);
        GraphSignature.Tensor out = sig.outputs().get(0);
        boolean ok = true;
        if (!in.name().equals(inputName)) {
            problem(
                    graph,
                    "input",
                    "graph input is " + quote(in.name()) + " but the manifest says " + quote(inputName));
            ok = false;
        }
        if (!out.name().equals(outputName)) {
            problem(
                    graph,
                    "output",
                    "graph output is " + quote(out.name()) + " but the manifest says " + quote(outputName));
            ok = false;
        }
        for (GraphSignature.Tensor t : List.of(in, out)) {
            if (t.elementType() != ONNX_FLOAT) {
                problem(graph, "tensor " + quote(t.name()), "must be FP32 (ONNX type 1), is type " + t.elementType());
                ok = false;
            }
            if (t.dims().isEmpty() || t.dims().get(0) != -1) {
                problem(
                        graph,
                        "tensor " + quote(t.name()),
                        "first dimension must be a dynamic batch, shape is " + t.dims());
                ok = false;
            }
        }
        if (!Objects.equals(in.dims(), inputDims)) {
            problem(
                    graph,
                    "input " + quote(in.name()),
                    "shape " + in.dims() + " does not chain from " + inputSource + " " + inputDims);
            ok = false;
        }
        return ok ? out : null;
    }

    private void manifestProblem(String field, String detail) {
        problem(MANIFEST_FILE, field, detail);
    }

    private void problem(String file, String field, String detail) {
        problems.add(new Problem(file, field, detail));
    }

    private static String quote(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }
}
