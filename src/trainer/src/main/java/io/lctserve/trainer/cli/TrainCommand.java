package io.lctserve.trainer.cli;

import ai.djl.ndarray.NDManager;
import io.lctserve.core.data.IdxDataset;
import io.lctserve.core.data.ImageSet;
import io.lctserve.core.manifest.Evaluation;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.ManifestJson;
import io.lctserve.core.manifest.Preset;
import io.lctserve.core.manifest.Stage;
import io.lctserve.core.manifest.TensorSpec;
import io.lctserve.core.model.ModelFolder;
import io.lctserve.core.model.StagedModel;
import io.lctserve.trainer.evaluation.ExitAnalysis;
import io.lctserve.trainer.evaluation.ModelEvaluation;
import io.lctserve.trainer.export.OnnxParity;
import io.lctserve.trainer.export.StagedOnnxExporter;
import io.lctserve.trainer.nn.NetworkConfig;
import io.lctserve.trainer.nn.StagedNetwork;
import io.lctserve.trainer.training.DjlStagedForward;
import io.lctserve.trainer.training.LocalCriticTrainer;
import io.lctserve.trainer.training.TrainingHistory;
import io.lctserve.trainer.training.TrainingMode;
import io.lctserve.trainer.training.TrainingOptions;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = "Trains a staged CNN (local critic training by default), exports every stage and head as ONNX,"
                + " evaluates it on the test set, calibrates presets on a validation split and writes manifest.json.")
final class TrainCommand implements Callable<Integer> {

    private static final TrainingOptions DEFAULTS = TrainingOptions.defaults();

    @Option(
            names = "--output",
            required = true,
            paramLabel = "DIR",
            description = "Model folder to write, <repository>/<name>/<version>, e.g. models/fashion-mnist/1.")
    Path output;

    @Mixin
    DataOptions data = new DataOptions();

    @Option(
            names = "--mode",
            paramLabel = "MODE",
            description = "lct (local critic training) or backprop. Default: lct")
    String mode = "lct";

    @Option(names = "--epochs", description = "Default: ${DEFAULT-VALUE}")
    int epochs = DEFAULTS.epochs();

    @Option(names = "--batch-size", description = "Default: ${DEFAULT-VALUE}")
    int batchSize = DEFAULTS.batchSize();

    @Option(names = "--lr", description = "Main network SGD learning rate. Default: ${DEFAULT-VALUE}")
    float learningRate = DEFAULTS.learningRate();

    @Option(names = "--critic-lr", description = "Critic Adam learning rate. Default: ${DEFAULT-VALUE}")
    float criticLearningRate = DEFAULTS.criticLearningRate();

    @Option(
            names = "--critic-ce-weight",
            description =
                    "Adds this much cross-entropy to each critic's cascaded loss (0 = the paper's). Default: ${DEFAULT-VALUE}")
    float criticCeWeight = DEFAULTS.criticCeWeight();

    @Option(names = "--no-augment", description = "Train without random shifts and flips.")
    boolean noAugment;

    @Option(names = "--seed", description = "Default: ${DEFAULT-VALUE}")
    long seed = DEFAULTS.seed();

    @Option(
            names = "--validation",
            description = "Images held out from the end of the training data for"
                    + " validation and calibration. Default: ${DEFAULT-VALUE}")
    int validationSize = 5000;

    @Option(names = "--limit", description = "Train on only the first N training images (0 = all). Default: 0")
    int limit;

    @Option(names = "--test-limit", description = "Evaluate on only the first N test images (0 = all). Default: 0")
    int testLimit;

    @Option(names = "--channels", split = ",", description = "Channels per stage. Default: 24,48,96,192")
    List<Integer> channels;

    @Option(names = "--blocks", split = ",", description = "Residual blocks per stage. Default: 1,2,1,1")
    List<Integer> blocks;

    @Option(names = "--strides", split = ",", description = "Stride of each stage's first block. Default: 2,2,1,2")
    List<Integer> strides;

    @Option(names = "--critic-convs", split = ",", description = "3x3 convolutions per local critic. Default: 2,1,1")
    List<Integer> criticConvs;

    @Option(
            names = "--submodel",
            paramLabel = "K",
            description = "Train only stages 0..K with critic K as the classifier: the network of the same size as"
                    + " sub-model K (see export-submodel), to train alone with --mode backprop and compare.")
    Integer submodel;

    @Option(names = "--critic-channels", description = "Filters of each critic convolution. Default: 32")
    Integer criticChannels;

    @Option(names = "--threads", description = "PyTorch intra-op threads (0 = DJL's default).")
    int threads;

    @Option(
            names = "--backprop-reference",
            paramLabel = "DIR",
            description = "Model folder of the same architecture trained with --mode backprop; its main-head test"
                    + " accuracy becomes this manifest's evaluation.backpropAccuracy.")
    Path backpropReference;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        TrainingMode trainingMode = TrainingMode.parse(mode);
        Manifest baseline = backpropReference == null ? null : BackpropBaseline.load(backpropReference);
        if (threads > 0) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }

        ImageSet all = IdxDataset.train(data.data);
        ImageSet validation = DataOptions.validationSplit(all, validationSize);
        prepareOutput();
        ImageSet train =
                all.slice(0, limit > 0 ? Math.min(limit, all.size() - validationSize) : all.size() - validationSize);
        ImageSet test = IdxDataset.test(data.data);
        if (testLimit > 0 && testLimit < test.size()) {
            test = test.slice(0, testLimit);
        }
        int classes = java.util.Arrays.stream(all.labels()).max().orElse(0) + 1;
        List<String> labels = data.labelsFor(classes);

        NetworkConfig config = networkConfig(train, classes);
        TrainingOptions options = new TrainingOptions(
                trainingMode,
                epochs,
                batchSize,
                learningRate,
                DEFAULTS.momentum(),
                DEFAULTS.weightDecay(),
                criticLearningRate,
                criticCeWeight,
                !noAugment,
                seed);
        StagedNetwork network = new StagedNetwork(config);
        out.printf(
                "training %s: %d stages, %,d MACs per image, %d train / %d validation / %d test images%n",
                trainingMode.label(),
                config.stageCount(),
                network.fullModelMacs(),
                train.size(),
                validation.size(),
                test.size());
        out.flush();

        try (NDManager manager = NDManager.newBaseManager()) {
            TrainingHistory history =
                    new LocalCriticTrainer(network, options, System.out).fit(manager, train, validation);
            List<Stage> stages = StagedOnnxExporter.export(network, output);
            Manifest draft = manifest(labels, config, stages, null, Map.of(), Map.of());
            ModelFolder.validate(output, draft);
            ManifestJson.write(draft, output.resolve(ModelFolder.MANIFEST_FILE));
            StagedModel model = ModelFolder.load(output);

            ImageSet parityImages = test.slice(0, Math.min(OnnxParity.SAMPLES, test.size()));
            OnnxParity parity = OnnxParity.compare(
                    new DjlStagedForward(network, manager).logits(parityImages), model, parityImages);
            out.println(parity);

            ExitAnalysis onTest = ModelEvaluation.analyze(model, test);
            ExitAnalysis onValidation = ModelEvaluation.analyze(model, validation);
            Map<String, Preset> presets = ModelEvaluation.presets(onValidation, onTest);
            Map<String, Object> training = trainingRecord(history, config, train, validation, parity);
            Double backpropAccuracy = null;
            if (baseline != null) {
                // Compare as written to JSON, the form the reference was read back in.
                Manifest draftWithRecord = ManifestJson.parse(
                        ManifestJson.toJson(manifest(labels, config, stages, null, Map.of(), training)));
                BackpropBaseline.requireComparable(draftWithRecord, baseline, backpropReference);
                backpropAccuracy = BackpropBaseline.mainAccuracy(baseline);
            }
            Evaluation evaluation = ModelEvaluation.evaluation(datasetName(test), onTest, backpropAccuracy);
            Manifest manifest = manifest(labels, config, stages, evaluation, presets, training);
            ModelFolder.validate(output, manifest);
            ManifestJson.write(manifest, output.resolve(ModelFolder.MANIFEST_FILE));
            out.print(ModelEvaluation.report(onTest, presets));
            out.printf("wrote %s (%.0f s of training)%n", output, history.wallSeconds());
            return parity.withinTolerance() ? 0 : 3;
        }
    }

    private void prepareOutput() throws java.io.IOException {
        Files.createDirectories(output);
        if (!Files.isWritable(output)) {
            throw new java.nio.file.AccessDeniedException(output.toString());
        }
    }

    private NetworkConfig networkConfig(ImageSet train, int classes) {
        double sum = 0;
        double squares = 0;
        for (byte b : train.pixels()) {
            double v = (b & 0xFF) / 255.0;
            sum += v;
            squares += v * v;
        }
        double mean = sum / train.pixels().length;
        double std = Math.sqrt(squares / train.pixels().length - mean * mean);
        NetworkConfig d = NetworkConfig.defaults(classes, (float) mean, (float) std);
        NetworkConfig config = new NetworkConfig(
                1,
                train.rows(),
                train.cols(),
                classes,
                d.pixelMean(),
                d.pixelStd(),
                channels != null ? channels : d.channels(),
                blocks != null ? blocks : d.blocks(),
                strides != null ? strides : d.strides(),
                criticConvs != null ? criticConvs : d.criticConvs(),
                criticChannels != null ? criticChannels : d.criticChannels());
        return submodel == null ? config : config.submodel(submodel);
    }

    private Manifest manifest(
            List<String> labels,
            NetworkConfig config,
            List<Stage> stages,
            Evaluation evaluation,
            Map<String, Preset> presets,
            Map<String, Object> training) {
        Path abs = output.toAbsolutePath().normalize();
        return new Manifest(
                Manifest.FORMAT,
                abs.getParent().getFileName().toString(),
                abs.getFileName().toString(),
                labels,
                new TensorSpec(
                        StagedOnnxExporter.INPUT_NAME,
                        "FP32",
                        List.of(-1L, (long) config.inputChannels(), (long) config.height(), (long) config.width())),
                stages,
                evaluation,
                presets,
                training);
    }

    private String datasetName(ImageSet test) {
        return data.data.toAbsolutePath().normalize().getFileName() + "/t10k (" + test.size() + " images)";
    }

    private Map<String, Object> trainingRecord(
            TrainingHistory history, NetworkConfig config, ImageSet train, ImageSet validation, OnnxParity parity) {
        TrainingOptions o = history.options();
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("method", o.mode() == TrainingMode.LCT ? "local critic training (cascaded critic loss)" : "backprop");
        t.put("mode", o.mode().label());
        t.put(
                "command",
                "java -jar src/trainer/target/lctserve-trainer.jar "
                        + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        t.put("epochs", o.epochs());
        t.put("batchSize", o.batchSize());
        t.put(
                "mainOptimizer",
                Map.of(
                        "type",
                        "sgd",
                        "learningRate",
                        o.learningRate(),
                        "momentum",
                        o.momentum(),
                        "weightDecay",
                        o.weightDecay(),
                        "schedule",
                        "linear warm-up over half an epoch, then cosine"));
        t.put(
                "criticOptimizer",
                Map.of(
                        "type",
                        "adam",
                        "learningRate",
                        o.criticLearningRate(),
                        "schedule",
                        "linear warm-up over half an epoch, then cosine"));
        t.put("criticCeWeight", o.criticCeWeight());
        t.put("augment", o.augment() ? "random shift up to 2 px, horizontal flip" : "none");
        t.put("seed", o.seed());
        t.put("trainImages", train.size());
        t.put("validationImages", validation.size());
        t.put("network", config);
        t.put("wallSeconds", Math.round(history.wallSeconds()));
        t.put("threads", threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
        t.put("history", history.epochs());
        t.put("onnxParity", parity.record());
        t.put("trainedAt", Instant.now().toString());
        return t;
    }
}
