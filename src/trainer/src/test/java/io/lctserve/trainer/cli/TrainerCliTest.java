package io.lctserve.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lctserve.core.exit.ComputeCost;
import io.lctserve.core.exit.ExitRule;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.ManifestJson;
import io.lctserve.core.model.ModelFolder;
import io.lctserve.trainer.nn.NetworkConfig;
import io.lctserve.trainer.nn.StagedNetwork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer as a user runs it: one epoch of local critic training on real Fashion-MNIST images,
 * exported, checked for ONNX parity, evaluated, calibrated, reported and cut into sub-models.
 * Every test here reads the one model trained before them (training it once is what keeps the
 * class fast), which is why they share a class of some 300 lines; the CLI's error messages, which
 * need no model, are in {@link TrainerCliErrorsTest}.
 */
class TrainerCliTest {

    private static final List<String> SMALL_NETWORK = List.of(
            "--widths",
            "8,16,16",
            "--blocks",
            "1,1,1",
            "--strides",
            "2,2,1",
            "--critic-convs",
            "1,1",
            "--critic-channels",
            "8");

    @TempDir
    static Path shared;

    static Path model;
    static TrainerRun training;

    @BeforeAll
    static void trainSmallModel() {
        model = shared.resolve("repo/fm-small/1");
        List<String> args = new ArrayList<>(List.of(
                "train",
                "--output",
                model.toString(),
                "--epochs",
                "1",
                "--limit",
                "8192",
                "--batch-size",
                "64",
                "--validation",
                "1000",
                "--test-limit",
                "1000",
                "--threads",
                "2"));
        args.addAll(SMALL_NETWORK);
        training = TrainerRun.of(args.toArray(String[]::new));
        // every test below reads this model: a failed training fails them all, with its message
        assertThat(training.exitCode()).as(training.err()).isZero();
    }

    @Test
    void trainWritesAValidStagedModelThatMatchesDjl() throws Exception {
        Manifest m = ModelFolder.load(model).manifest();

        assertThat(m.name()).isEqualTo("fm-small");
        assertThat(m.version()).isEqualTo("1");
        assertThat(m.labels()).hasSize(10).startsWith("T-shirt/top", "Trouser");
        assertThat(m.exitCount()).isEqualTo(3);
        StagedNetwork small = new StagedNetwork(new NetworkConfig(
                1,
                28,
                28,
                10,
                List.of(0f),
                List.of(1f),
                1,
                List.of(8, 16, 16),
                List.of(1, 1, 1),
                List.of(2, 2, 1),
                List.of(1, 1),
                8));
        for (int k = 0; k < 3; k++) {
            assertThat(m.stages().get(k).macs()).isEqualTo(small.stage(k).macs());
            assertThat(m.stages().get(k).head().macs()).isEqualTo(small.head(k).macs());
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> parity = (Map<String, Object>) m.training().get("onnxParity");
        assertThat(((Number) parity.get("images")).intValue()).isEqualTo(1000);
        assertThat(((Number) parity.get("maxAbsLogitDifference")).doubleValue()).isLessThanOrEqualTo(1e-4);
        assertThat(((Number) parity.get("argmaxMismatches")).intValue()).isZero();
        assertThat(m.training().get("mode")).isEqualTo("lct");
        assertThat(training.out()).contains("ONNX vs DJL on 1000 images");
        // the default --pipeline auto timed sequential and 2 workers on real batches and says what it kept
        @SuppressWarnings("unchecked")
        Map<String, Object> pipeline = (Map<String, Object>) m.training().get("pipeline");
        assertThat(pipeline.get("setting")).isEqualTo("auto");
        assertThat(((Number) pipeline.get("workers")).intValue()).isBetween(1, 2);
        assertThat(m.training().get("pipelineWorkers")).isEqualTo(pipeline.get("workers"));
        assertThat((List<?>) pipeline.get("trial")).hasSize(2);
        assertThat((String) pipeline.get("why"))
                .contains("sequential, 2 threads ")
                .contains("2 pipeline workers x 1 thread ")
                .contains("img/s");
    }

    @Test
    void oneEpochOnEightThousandImagesAlreadyClassifiesWellAboveChance() throws Exception {
        Manifest m = ModelFolder.load(model).manifest();

        assertThat(m.evaluation().samples()).isEqualTo(1000);
        assertThat(m.evaluation().headAccuracy()).hasSize(3).allSatisfy(a -> assertThat(a)
                .isGreaterThan(0.4));
        // every rule at every budget, less those only the full model's cost or more can keep within budget
        assertThat(m.presets().keySet())
                .contains("accurate", "balanced", "fast", "fast-patience")
                .isSubsetOf(
                        "accurate",
                        "balanced",
                        "fast",
                        "accurate-entropy",
                        "balanced-entropy",
                        "fast-entropy",
                        "accurate-patience",
                        "balanced-patience",
                        "fast-patience");
        m.presets().forEach((name, p) -> assertThat(p.validationDisagreement())
                .as(name + ": answers differing from the last head on validation")
                .isBetween(0.0, 1.0));
        ComputeCost cost = ComputeCost.of(m);
        double cheapest = cost.fraction(io.lctserve.core.exit.Mode.EARLY_EXIT, 0);
        double dearest = cost.fraction(io.lctserve.core.exit.Mode.EARLY_EXIT, 2);
        m.presets().forEach((name, p) -> {
            // every graph an early exit runs: between answering at head 0 and reading all three heads
            assertThat(p.meanMacsFraction()).as(name).isBetween(cheapest - 1e-4, dearest + 1e-4);
            ExitRule rule = ExitRule.of(p);
            if (rule instanceof ExitRule.MaxSoftmax maxSoftmax) {
                assertThat(maxSoftmax.thresholds()).hasSize(3);
                assertThat(maxSoftmax.thresholds()[2]).isZero();
            } else if (rule instanceof ExitRule.Entropy entropy) {
                assertThat(entropy.bounds()).hasSize(3);
                assertThat(entropy.bounds()[2]).isEqualTo(2.3026); // ln(10), rounded up: always answers
            } else {
                assertThat(((ExitRule.Patience) rule).heads()).as(name).isBetween(1, 3);
            }
        });
    }

    @Test
    void calibrateRecomputesThePresetsTrainWrote(@TempDir Path dir) throws Exception {
        Path copy = dir.resolve("fm-small/1");
        Files.createDirectories(copy);
        try (var files = Files.list(model)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        Manifest trained = ModelFolder.load(model).manifest();
        Path manifest = copy.resolve(ModelFolder.MANIFEST_FILE);
        ManifestJson.write(ManifestJson.read(manifest).withPresets(Map.of()), manifest);

        TrainerRun r = TrainerRun.of("calibrate", "--model", copy.toString());

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("calibrated 9 presets on 1000 validation images");
        Manifest calibrated = ModelFolder.load(copy).manifest();
        assertThat(calibrated.presets().keySet())
                .containsExactlyElementsOf(trained.presets().keySet());
        // the same rules from the same validation images; accuracy and cost are now measured on all test images
        trained.presets().forEach((name, p) -> assertThat(
                        ExitRule.of(calibrated.presets().get(name)))
                .as(name)
                .isEqualTo(ExitRule.of(p)));
    }

    @Test
    void theSameSizeNetworkTrainedAloneStandsBesideItsSubmodelInTheReport(@TempDir Path dir) throws Exception {
        Path alone = dir.resolve("fm-small-submodel-1/1");
        List<String> args = new ArrayList<>(List.of(
                "train",
                "--mode",
                "backprop",
                "--submodel",
                "1",
                "--output",
                alone.toString(),
                "--epochs",
                "1",
                "--limit",
                "2048",
                "--batch-size",
                "64",
                "--validation",
                "500",
                "--test-limit",
                "500",
                "--threads",
                "2"));
        args.addAll(SMALL_NETWORK);
        TrainerRun train = TrainerRun.of(args.toArray(String[]::new));
        assertThat(train.exitCode()).as(train.err()).isZero();
        Manifest cut = ModelFolder.load(model).manifest();
        Manifest own = ModelFolder.load(alone).manifest();
        assertThat(own.exitCount()).isEqualTo(2);
        assertThat(ComputeCost.of(own).fullModel())
                .isEqualTo(ComputeCost.of(cut).submodel(1));
        assertThat(ModelFolder.load(alone).parametersThroughExit(1))
                .isEqualTo(ModelFolder.load(model).parametersThroughExit(1));

        Path report = dir.resolve("report");
        TrainerRun r = TrainerRun.of(
                "evaluate",
                "--model",
                model.toString(),
                "--report",
                report.toString(),
                "--submodel-reference",
                alone.toString());

        assertThat(r.exitCode()).as(r.err()).isZero();
        String row = String.format(
                java.util.Locale.ROOT,
                "| 1 | %,d | %,d | ",
                ComputeCost.of(cut).submodel(1),
                ModelFolder.load(model).parametersThroughExit(1));
        String table = Files.readString(report.resolve("REPORT.md"));
        assertThat(table).contains(row);
        assertThat(table.substring(table.indexOf(row)).lines().findFirst().orElseThrow())
                .endsWith(String.format(
                        java.util.Locale.ROOT,
                        " %.2f %% |",
                        100 * own.evaluation().headAccuracy().get(1)));

        TrainerRun wrongSize = TrainerRun.of(
                "evaluate",
                "--model",
                model.toString(),
                "--report",
                report.toString(),
                "--submodel-reference",
                model.toString());
        assertThat(wrongSize.exitCode()).isEqualTo(2);
        assertThat(wrongSize.err()).contains("has 3 stages: a sub-model of fm-small has at most 2");
    }

    @Test
    void evaluatePrintsTheManifestsAccuracies() throws Exception {
        Manifest m = ModelFolder.load(model).manifest();

        TrainerRun eval = TrainerRun.of("evaluate", "--model", model.toString());

        assertThat(eval.exitCode()).as(eval.err()).isZero();
        assertThat(eval.out()).contains("head-0").contains("ensemble").contains("balanced");
        // The manifest was measured on the first 1,000 test images, evaluate uses all 10,000.
        var line = java.util.regex.Pattern.compile("(?m)^head-2\\s+([0-9.]+)%").matcher(eval.out());
        assertThat(line.find()).as(eval.out()).isTrue();
        double onAllTestImages = Double.parseDouble(line.group(1)) / 100;
        assertThat(onAllTestImages)
                .isCloseTo(m.evaluation().headAccuracy().get(2), org.assertj.core.data.Offset.offset(0.05));
    }

    @Test
    void reportWritesPlotsAndATableThatMatchesEvaluate(@TempDir Path dir) throws Exception {
        TrainerRun r = TrainerRun.of("evaluate", "--model", model.toString(), "--report", dir.toString());

        assertThat(r.exitCode()).as(r.err()).isZero();
        for (String png : List.of("accuracy-vs-macs.png", "head-accuracy.png", "exit-histogram.png")) {
            byte[] bytes = Files.readAllBytes(dir.resolve(png));
            assertThat(bytes.length).as(png).isGreaterThan(1000);
            assertThat(java.util.Arrays.copyOf(bytes, 4)).as(png).containsExactly(0x89, 'P', 'N', 'G');
        }
        String report = Files.readString(dir.resolve("REPORT.md"));
        for (int k = 0; k < 3; k++) {
            var printed = java.util.regex.Pattern.compile("(?m)^head-" + k + "\\s+([0-9.]+)%")
                    .matcher(r.out());
            assertThat(printed.find()).isTrue();
            assertThat(report)
                    .contains(String.format(java.util.Locale.ROOT, "| %d | ", k))
                    .contains(printed.group(1) + " %");
        }
        var balanced = java.util.regex.Pattern.compile("(?m)^\\s+balanced\\s+([0-9.]+)%")
                .matcher(r.out());
        assertThat(balanced.find()).isTrue();
        assertThat(report).contains("| balanced | ").contains(balanced.group(1) + " %");
    }

    @Test
    void exportSubmodelWritesATritonRepositoryThatMatchesTheStagedPath(@TempDir Path repository) throws Exception {
        TrainerRun r = TrainerRun.of(
                "export-submodel", "--model", model.toString(), "--stage", "1", "--output", repository.toString());

        assertThat(r.exitCode()).as(r.err()).isZero();
        Path onnx = repository.resolve("fm-small-exit1/1/model.onnx");
        assertThat(Files.readString(repository.resolve("fm-small-exit1/config.pbtxt")))
                .contains("platform: \"onnxruntime_onnx\"")
                .contains("dims: [ 1, 28, 28 ]")
                .contains("dims: [ 10 ]");
        ai.onnx.proto.OnnxMl.GraphProto graph;
        try (var in = Files.newInputStream(onnx)) {
            graph = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(in).getGraph();
        }
        assertThat(graph.getInputList())
                .extracting(ai.onnx.proto.OnnxMl.ValueInfoProto::getName)
                .containsExactly("input");
        assertThat(graph.getOutputList())
                .extracting(ai.onnx.proto.OnnxMl.ValueInfoProto::getName)
                .containsExactly("logits");
        var diff = java.util.regex.Pattern.compile("max \\|logit difference\\| ([0-9.eE+-]+)")
                .matcher(r.out());
        assertThat(diff.find()).as(r.out()).isTrue();
        assertThat(Double.parseDouble(diff.group(1))).isLessThanOrEqualTo(1e-5);
    }

    @Test
    void exportSubmodelRefusesAStageTheModelDoesNotHave(@TempDir Path repository) {
        TrainerRun r = TrainerRun.of(
                "export-submodel", "--model", model.toString(), "--stage", "3", "--output", repository.toString());

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--stage 3 is out of range: model fm-small has stages 0..2");
    }

    @Test
    void recordBaselineRefusesAModelThatWasNotTrainedByBackprop() {
        TrainerRun r =
                TrainerRun.of("record-baseline", "--model", model.toString(), "--backprop-reference", model.toString());

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("was trained with mode lct, not backprop");
    }
}
