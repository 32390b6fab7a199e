package io.lctserve.trainer.cli;

import ai.djl.ndarray.NDManager;
import io.lctserve.core.data.ImageSet;
import io.lctserve.core.exit.ExitAnalysis;
import io.lctserve.core.manifest.Evaluation;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.ManifestJson;
import io.lctserve.core.manifest.Preprocess;
import io.lctserve.core.manifest.Preset;
import io.lctserve.core.manifest.Stage;
import io.lctserve.core.manifest.TensorSpec;
import io.lctserve.core.model.ModelFolder;
import io.lctserve.core.model.StagedModel;
import io.lctserve.trainer.evaluation.ModelEvaluation;
import io.lctserve.trainer.export.OnnxParity;
import io.lctserve.trainer.export.SampleImages;
import io.lctserve.trainer.export.StagedOnnxExporter;
import io.lctserve.trainer.nn.NetworkConfig;
import io.lctserve.trainer.nn.StagedNetwork;
import io.lctserve.trainer.training.CriticLoss;
import io.lctserve.trainer.training.DjlStagedForward;
import io.lctserve.trainer.training.LocalCriticTrainer;
import io.lctserve.trainer.training.TrainingHistory;
import io.lctserve.trainer.training.TrainingMode;
import io.lctserve.trainer.training.TrainingOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One training run, top to bottom: train, export every stage and head as ONNX, check ONNX Runtime
 * against DJL, evaluate on the test images, calibrate presets on the validation images, and write
 * the manifest that records all of it.
 */
final class TrainingRun {

    /** The same network trained by backprop, whose main-head accuracy the manifest records beside this one's. */
    record Reference(Manifest manifest, Path folder) {}

    private final Path output;
    private final TrainingData splits;
    private final NetworkConfig config;
    private final TrainingOptions options;
    private final Reference reference;
    private final String command;
    private final int threads;
    private final boolean resume;

    TrainingRun(
            Path output,
            TrainingData splits,
            NetworkConfig config,
            TrainingOptions options,
            Reference reference,
            String command,
            int threads,
            boolean resume) {
        this.resume = resume;
        this.output = output;
        this.splits = splits;
        this.config = config;
        this.options = options;
        this.reference = reference;
        this.command = command;
        this.threads = threads;
    }

    /** Returns the exit code: 0, or 3 when ONNX Runtime does not reproduce DJL within tolerance. */
    int run(PrintWriter out) throws Exception {
        StagedNetwork network = new StagedNetwork(config);
        out.printf(
                "training %s: %d stages, %,d MACs per image, %d train / %d validation / %d test images%n",
                options.mode().label(),
                config.stageCount(),
                network.cost().fullModel(),
                splits.train().size(),
                splits.validation().size(),
                splits.test().size());
        out.flush();
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainingHistory history = new LocalCriticTrainer(network, options, System.out)
                    .checkpointingIn(output, resume)
                    .fit(manager, splits.train(), splits.validation());
            List<Stage> stages = StagedOnnxExporter.export(network, output);
            Map<String, Object> training = trainingRecord(history);
            Manifest manifest = manifest(stages, training);
            ModelFolder.validate(output, manifest);
            StagedModel model = new StagedModel(output, manifest);

            ImageSet parityImages = splits.test()
                    .slice(0, Math.min(OnnxParity.SAMPLES, splits.test().size()));
            OnnxParity parity = OnnxParity.compare(
                    new DjlStagedForward(network, manager).logits(parityImages), model, parityImages);
            out.println(parity);
            training.put("onnxParity", parity.record());
            training.put("trainedAt", Instant.now().toString());

            ExitAnalysis onTest = ModelEvaluation.analyze(model, splits.test());
            ExitAnalysis onValidation = ModelEvaluation.analyze(model, splits.validation());
            Map<String, Preset> presets = ModelEvaluation.presets(onValidation, onTest);
            Evaluation evaluation = ModelEvaluation.evaluation(splits.dataset(), onTest, backpropAccuracy(training));
            Manifest finished =
                    manifest.withTraining(training).withEvaluation(evaluation).withPresets(presets);
            ModelFolder.validate(output, finished);
            ManifestJson.write(finished, output.resolve(ModelFolder.MANIFEST_FILE));
            SampleImages.write(output, splits.validation(), splits.labels().size(), "validation images");

            out.print(ModelEvaluation.report(onTest, presets));
            out.printf("wrote %s (%.0f s of training)%n", output, history.wallSeconds());
            return parity.withinTolerance() ? 0 : 3;
        }
    }

    private Double backpropAccuracy(Map<String, Object> training) {
        if (reference.manifest() == null) {
            return null;
        }
        BackpropBaseline.requireComparable(training, reference.manifest(), reference.folder());
        return BackpropBaseline.mainAccuracy(reference.manifest());
    }

    /** The manifest of the exported graphs, named after the output folder; evaluation and presets come later. */
    private Manifest manifest(List<Stage> stages, Map<String, Object> training) {
        Path folder = output.toAbsolutePath().normalize();
        List<Long> input = List.of(-1L, (long) config.inputChannels(), (long) config.height(), (long) config.width());
        return new Manifest(
                Manifest.FORMAT,
                folder.getParent().getFileName().toString(),
                folder.getFileName().toString(),
                splits.labels(),
                new TensorSpec(StagedOnnxExporter.INPUT_NAME, "FP32", input),
                Preprocess.forChannels(config.inputChannels()),
                stages,
                null,
                Map.of(),
                training);
    }

    private static String method(TrainingOptions o) {
        return switch (o.mode()) {
            case LCT -> "local critic training (" + o.criticLoss().description() + ")";
            case JOINT -> "joint multi-exit backprop (every head's cross-entropy through the whole network)";
            case BACKPROP -> "backprop";
        };
    }

    /** How the model was made, for the manifest's {@code training} record. */
    private Map<String, Object> trainingRecord(TrainingHistory history) {
        TrainingOptions o = history.options();
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("method", method(o));
        t.put("mode", o.mode().label());
        if (o.mode() == TrainingMode.LCT) {
            t.put("criticLoss", o.criticLoss().label());
            Map<String, Object> choice = history.pipelineChoice();
            t.put("pipelineWorkers", choice != null ? choice.get("workers") : o.workers());
            t.put(
                    "pipeline",
                    choice != null ? choice : Map.of("setting", o.parallelism().setting()));
        }
        t.put("command", command);
        t.put("epochs", o.epochs());
        t.put("batchSize", o.batchSize());
        Map<String, Object> main = new LinkedHashMap<>();
        main.put("type", "sgd");
        main.put("learningRate", o.learningRate());
        main.put("momentum", o.momentum());
        main.put("weightDecay", o.weightDecay());
        main.put("schedule", history.schedule());
        t.put("mainOptimizer", main);
        if (o.mode() == TrainingMode.LCT && o.criticLoss() == CriticLoss.CASCADE) {
            Map<String, Object> critic = new LinkedHashMap<>();
            critic.put("type", "adam");
            critic.put("learningRate", o.criticLearningRate());
            critic.put("schedule", history.schedule());
            t.put("criticOptimizer", critic);
        } else {
            t.put(
                    "criticOptimizer",
                    "the main SGD" + (o.criticLoss() == CriticLoss.HYBRID ? ", gradients clipped" : ""));
        }
        if (o.mode() == TrainingMode.LCT && o.criticLoss() == CriticLoss.HYBRID) {
            t.put("criticCeWeight", o.criticCeWeight());
        }
        t.put("augment", o.augmentation().describe(config.height(), config.width()));
        t.put("seed", o.seed());
        t.put("trainImages", splits.train().size());
        t.put(
                "validationImages",
                splits.heldOut() > 0 ? splits.heldOut() : splits.validation().size());
        t.put("network", config);
        t.put("wallSeconds", Math.round(history.wallSeconds()));
        t.put("threads", threads);
        t.put("history", history.epochs());
        return t;
    }
}
