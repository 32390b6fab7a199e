package io.lctserve.trainer.cli;

import io.lctserve.core.data.ImageSet;
import io.lctserve.core.exit.ComputeCost;
import io.lctserve.core.exit.ExitAnalysis;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.model.ModelFolder;
import io.lctserve.core.model.StagedModel;
import io.lctserve.trainer.evaluation.ModelEvaluation;
import io.lctserve.trainer.evaluation.Report;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "evaluate",
        mixinStandardHelpOptions = true,
        description = "Per-head accuracy, ensemble accuracy and the early-exit curve of a staged model on the test set,"
                + " run in ONNX Runtime.")
final class EvaluateCommand implements Callable<Integer> {

    @Option(
            names = "--model",
            required = true,
            paramLabel = "DIR",
            description = "Model folder (models/<name>/<version>).")
    Path model;

    @Mixin
    DataOptions data = new DataOptions();

    @Option(names = "--report", paramLabel = "DIR", description = "Also write REPORT.md and PNG plots into DIR.")
    Path report;

    @Option(
            names = "--backprop-reference",
            paramLabel = "DIR",
            description =
                    "Model folder of the same network trained with --mode backprop, shown beside it in the report.")
    Path backpropReference;

    @Option(
            names = "--submodel-reference",
            paramLabel = "DIR",
            description = "Model folder of a network of sub-model K's size trained alone (train --mode backprop"
                    + " --submodel K), shown beside sub-model K in the report. Repeatable.")
    List<Path> submodelReferences = new ArrayList<>();

    @Option(
            names = "--compare",
            paramLabel = "DIR",
            description = "Model folder of the same task trained another way (another --mode or --critic-loss),"
                    + " drawn beside this one on the report's training-methods chart. Repeatable.")
    List<Path> compare = new ArrayList<>();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        StagedModel staged = ModelFolder.load(model);
        ImageSet test = data.test(staged.manifest(), 0, spec.commandLine().getErr());
        int classes = staged.manifest().labels().size();
        int maxLabel = java.util.Arrays.stream(test.labels()).max().orElse(0);
        if (maxLabel >= classes) {
            throw new IllegalArgumentException("the test data has label " + maxLabel + " but model "
                    + staged.manifest().name() + " knows " + classes + " classes");
        }
        if (report == null && (!submodelReferences.isEmpty() || backpropReference != null || !compare.isEmpty())) {
            throw new IllegalArgumentException(
                    "--submodel-reference, --backprop-reference and --compare go into the report: add --report DIR");
        }
        List<StagedModel> others = new ArrayList<>();
        for (Path dir : compare) {
            StagedModel other = ModelFolder.load(dir);
            if (!other.manifest().labels().equals(staged.manifest().labels())
                    || !other.manifest()
                            .input()
                            .shape()
                            .equals(staged.manifest().input().shape())) {
                throw new IllegalArgumentException(
                        dir + " is not a model of the same task: its labels or input shape differ from " + model);
            }
            others.add(other);
        }
        ExitAnalysis analysis = ModelEvaluation.analyze(staged, test);
        PrintWriter out = spec.commandLine().getOut();
        out.print(ModelEvaluation.report(analysis, staged.manifest().presets()));
        if (report != null) {
            Manifest baseline = backpropReference == null ? null : BackpropBaseline.load(backpropReference);
            List<Report.Compared> compared = new ArrayList<>();
            for (StagedModel other : others) {
                compared.add(new Report.Compared(other.manifest(), ModelEvaluation.analyze(other, test)));
            }
            Report.write(
                    report, staged.manifest(), analysis, baseline, submodels(staged, analysis, baseline), compared);
            out.println("wrote " + report.resolve("REPORT.md") + " and its plots");
        }
        return 0;
    }

    /** One row per sub-model, each beside its same-size network trained alone when one was given. */
    private List<Report.Submodel> submodels(StagedModel staged, ExitAnalysis analysis, Manifest baseline)
            throws Exception {
        Manifest m = staged.manifest();
        ComputeCost cost = ComputeCost.of(m);
        int last = m.exitCount() - 1;
        Map<Integer, Manifest> alone = new HashMap<>();
        if (baseline != null) {
            alone.put(last, baseline);
        }
        for (Path dir : submodelReferences) {
            Manifest reference = ModelFolder.load(dir).manifest();
            int k = reference.exitCount() - 1;
            if (k >= last) {
                throw new IllegalArgumentException(
                        dir + " has " + reference.exitCount() + " stages: a sub-model of " + m.name() + " has at most "
                                + last + " (the whole network's reference is --backprop-reference)");
            }
            long referenceMacs = ComputeCost.of(reference).fullModel();
            if (referenceMacs != cost.submodel(k)) {
                throw new IllegalArgumentException(dir + " is not the size of sub-model " + k + ": " + referenceMacs
                        + " MACs per image, sub-model " + k + " has " + cost.submodel(k) + " (train it with --submodel "
                        + k + ")");
            }
            if (reference.evaluation() == null) {
                throw new IllegalArgumentException(dir + " has no evaluation in its manifest");
            }
            alone.put(k, reference);
        }
        List<Report.Submodel> rows = new ArrayList<>();
        for (int k = 0; k <= last; k++) {
            rows.add(new Report.Submodel(
                    k, cost.submodel(k), staged.parametersThroughExit(k), analysis.headAccuracy()[k], alone.get(k)));
        }
        return rows;
    }
}
