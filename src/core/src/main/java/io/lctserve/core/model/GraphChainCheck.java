package io.lctserve.core.model;

import static io.lctserve.core.model.ModelFolder.quote;

import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.Stage;
import io.lctserve.core.model.InvalidModelException.Problem;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The graphs' own declared inputs and outputs against the manifest and each other: one FP32 input
 * and output with a dynamic batch, names as the manifest says, shapes chaining from the model
 * input through every stage, and logits of one column per label.
 */
final class GraphChainCheck {

    private static final int ONNX_FLOAT = 1;

    private final Path folder;
    private final List<Problem> problems = new ArrayList<>();

    private GraphChainCheck(Path folder) {
        this.folder = folder;
    }

    /** Expects a manifest that passed {@link ManifestCheck}. */
    static List<Problem> problems(Path folder, Manifest m) {
        GraphChainCheck check = new GraphChainCheck(folder);
        check.chain(m);
        return check.problems;
    }

    private void chain(Manifest m) {
        List<Long> previous = m.input().shape();
        String previousSource = "manifest.json input.shape";
        long classes = m.labels().size();
        for (Stage stage : m.stages()) {
            GraphSignature.Tensor out = graph(stage.graph(), stage.input(), stage.output(), previous, previousSource);
            if (out == null) {
                return;
            }
            GraphSignature.Tensor logits = graph(
                    stage.head().graph(),
                    stage.head().input(),
                    stage.head().output(),
                    out.dims(),
                    stage.graph() + " output");
            if (logits != null && !logits.dims().equals(List.of(-1L, classes))) {
                problem(
                        stage.head().graph(),
                        "output " + quote(logits.name()),
                        "logits shape " + logits.dims() + " does not match the " + classes + " labels (expected [-1, "
                                + classes + "])");
            }
            previous = out.dims();
            previousSource = stage.graph() + " output";
        }
    }

    /** Returns the graph's output tensor, or null (with a problem recorded) when it does not fit. */
    private GraphSignature.Tensor graph(
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
        boolean ok = name(graph, "input", in, inputName) & name(graph, "output", out, outputName);
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

    private boolean name(String graph, String role, GraphSignature.Tensor tensor, String expected) {
        if (tensor.name().equals(expected)) {
            return true;
        }
        problem(
                graph,
                role,
                "graph " + role + " is " + quote(tensor.name()) + " but the manifest says " + quote(expected));
        return false;
    }

    private void problem(String file, String field, String detail) {
        problems.add(new Problem(file, field, detail));
    }
}
