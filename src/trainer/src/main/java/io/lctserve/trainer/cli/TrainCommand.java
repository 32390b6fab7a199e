package io.lctserve.trainer.cli;

import io.lctserve.core.data.IdxDataset;
import io.lctserve.core.data.ImageSet;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.trainer.nn.NetworkConfig;
import io.lctserve.trainer.training.TrainingMode;
import io.lctserve.trainer.training.TrainingOptions;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code train}: the options, turned into data splits, a network and settings for a {@link TrainingRun}. */
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
        TrainingMode trainingMode = TrainingMode.parse(mode);
        Manifest baseline = backpropReference == null ? null : BackpropBaseline.load(backpropReference);
        if (threads > 0) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        TrainingRun.Splits splits = splits();
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
        TrainingRun run = new TrainingRun(
                output,
                splits,
                networkConfig(splits.train(), splits.labels().size()),
                options,
                new TrainingRun.Reference(baseline, backpropReference),
                "java -jar src/trainer/target/lctserve-trainer.jar "
                        + String.join(" ", spec.commandLine().getParseResult().originalArgs()),
                threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
        return run.run(spec.commandLine().getOut());
    }

    /** Training, validation (the end of the training data) and test images; the output folder is made once they read. */
    private TrainingRun.Splits splits() throws IOException {
        ImageSet all = IdxDataset.train(data.data);
        ImageSet validation = DataOptions.validationSplit(all, validationSize);
        int trainable = all.size() - validationSize;
        ImageSet train = all.slice(0, limit > 0 ? Math.min(limit, trainable) : trainable);
        ImageSet test = IdxDataset.test(data.data);
        if (testLimit > 0 && testLimit < test.size()) {
            test = test.slice(0, testLimit);
        }
        int classes = Arrays.stream(all.labels()).max().orElse(0) + 1;
        List<String> labels = data.labelsFor(classes);
        Files.createDirectories(output);
        if (!Files.isWritable(output)) {
            throw new AccessDeniedException(output.toString());
        }
        String dataset = data.data.toAbsolutePath().normalize().getFileName() + "/t10k (" + test.size() + " images)";
        return new TrainingRun.Splits(train, validation, test, labels, dataset);
    }

    /** The default network for this data, with whatever the options override. */
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
}
