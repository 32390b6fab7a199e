package io.lctserve.trainer.cli;

import io.lctserve.core.data.ImageSet;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.trainer.nn.NetworkConfig;
import io.lctserve.trainer.training.Checkpoint;
import io.lctserve.trainer.training.CriticLoss;
import io.lctserve.trainer.training.Parallelism;
import io.lctserve.trainer.training.TrainingMode;
import io.lctserve.trainer.training.TrainingOptions;
import io.lctserve.trainer.training.TrainingOptions.Augmentation;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code train}: the options, turned into data splits, a network and settings for a {@link TrainingRun}.
 * It is over 300 lines because of the options' declarations and help texts (two thirds of it: a
 * user reads them in {@code train --help}, so they stay whole here); what the options do lives in
 * {@link TrainingData}, {@link TrainChoices}, {@link DataFit} and {@link TrainingRun}.
 */
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
            description = "lct: local critic training, each stage learns from its own critic (pipelines);"
                    + " joint: every head's loss backpropagated through the whole network (SDN/BranchyNet);"
                    + " backprop: the main loss only, early heads as probes (the baseline). Default: lct")
    String mode = "lct";

    @Option(
            names = "--critic-loss",
            paramLabel = "LOSS",
            description = "What each LCT critic learns: cascade (the paper's: predict the next head's loss, Adam),"
                    + " ce (its own cross-entropy, in the stage's SGD), hybrid (cascade + --critic-ce-weight x"
                    + " cross-entropy, SGD, clipped). Default: ${DEFAULT-VALUE}")
    String criticLoss = DEFAULTS.criticLoss().label();

    @Option(
            names = "--pipeline",
            paramLabel = "auto|on|off|N",
            description = "LCT only. on: one worker thread per core (at most one per stage), the stages split into"
                    + " groups of equal measured cost, activations handed on through bounded queues, the cores"
                    + " shared among the workers as intra-op threads; N: that many workers; off: stages one after"
                    + " another on one thread with every core, cascaded critics learning from the next head at"
                    + " once as in the paper (pipelined or auto, they learn 3 batches late; every run is"
                    + " reproducible either way); auto: time 1 worker up to one per core on the first epoch's"
                    + " batches and keep the fastest (the log and the manifest say what and why)."
                    + " Default: auto for lct, off otherwise")
    String pipeline;

    @Option(
            names = "--epochs",
            description = "Passes over the training images; the learning rate decays to nearly 0 at the last."
                    + " Default: ${DEFAULT-VALUE}")
    int epochs = DEFAULTS.epochs();

    @Option(
            names = "--batch-size",
            description = "Default: 128, or smaller (down to 32) when that leaves fewer than 100 steps per epoch,"
                    + " so a small data set gets enough optimizer steps")
    Integer batchSize;

    @Option(
            names = "--lr",
            description = "Main network SGD learning rate. Default: 0.05 at batch 128, scaled with the batch size")
    Float learningRate;

    @Option(
            names = "--warmup-steps",
            description = "Optimizer steps of linear learning-rate warm-up (at most a tenth of the run)."
                    + " Default: ${DEFAULT-VALUE}")
    int warmupSteps = DEFAULTS.warmupSteps();

    @Option(
            names = "--critic-lr",
            description = "Learning rate of the cascade's critics (Adam); ce and hybrid critics learn at --lr."
                    + " Default: ${DEFAULT-VALUE}")
    float criticLearningRate = DEFAULTS.criticLearningRate();

    @Option(
            names = "--critic-ce-weight",
            description = "Weight of the cross-entropy term in --critic-loss hybrid. Default: ${DEFAULT-VALUE}")
    float criticCeWeight = DEFAULTS.criticCeWeight();

    @Option(
            names = "--augment",
            split = ",",
            paramLabel = "shift|flip|none",
            description = "Training augmentation: shift (random shifts, a random crop of the zero-padded image, up to"
                    + " a twelfth of the shorter side and at least 2 px), flip (random horizontal flips: right for"
                    + " clothes and natural images, wrong for digits, text and most scans), none. Default: picked"
                    + " from the data: shift for grey images (digits, text, scans and Fashion-MNIST are grey);"
                    + " shift,flip for colour ones (photos), unless every class name is a number or a single"
                    + " character (a digit or character set, which a mirror corrupts): then shift")
    List<String> augment;

    @Option(names = "--no-augment", description = "Same as --augment none.")
    boolean noAugment;

    @Option(
            names = "--seed",
            description = "Seeds the initial weights, the data order and the augmentation: the same seed and settings"
                    + " give the same model, pipelined or not. Default: ${DEFAULT-VALUE}")
    long seed = DEFAULTS.seed();

    @Option(
            names = "--validation",
            paramLabel = "N|FRACTION",
            description = "Images held out from the end of the training data for validation and preset"
                    + " calibration: a count (5000) or a fraction (0.1). Default: 0.1, at least 500 and at most 5000"
                    + " images (a fifth of the data when that is less than 500). Image folders: taken from a fixed"
                    + " shuffle of train/, or none when DIR has its own val/")
    String validation;

    @Option(
            names = "--resume",
            description = "Go on from the checkpoint a stopped run left in --output (written after every epoch):"
                    + " the same command line with --resume added.")
    boolean resume;

    @Option(names = "--limit", description = "Train on only the first N training images (0 = all). Default: 0")
    int limit;

    @Option(names = "--test-limit", description = "Evaluate on only the first N test images (0 = all). Default: 0")
    int testLimit;

    @Option(
            names = "--channels",
            paramLabel = "1|3",
            description = "Input channels: 1 reads every picture as grey, 3 as RGB. Default: grey when every picture"
                    + " of the image folders is grey, else RGB (IDX: 1)")
    Integer inputChannels;

    @Option(
            names = "--image-size",
            paramLabel = "HxW",
            description = "Input size for image folders. Default: the pictures' own when they agree; else the size"
                    + " most of them share when it is at most 128 on a side, else 64x64. Other sizes are scaled"
                    + " keeping their aspect ratio until they cover HxW, then the centre is cut out (torchvision's"
                    + " Resize + CenterCrop); the manifest records the policy and every consumer applies it")
    String imageSize;

    @Option(names = "--widths", split = ",", description = "Channels (filters) per stage. Default: 24,48,96,192")
    List<Integer> channels;

    @Option(names = "--blocks", split = ",", description = "Residual blocks per stage. Default: 1,2,1,1")
    List<Integer> blocks;

    @Option(
            names = "--strides",
            split = ",",
            description = "Stride of each stage's first block. Default: from the input size, halving it until the"
                    + " shorter side is under 6: 2,2,1,2 for 28x28 and 32x32, 2,2,2,2 for 64x64, plus a stride-2"
                    + " stem from 96x96")
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

    @Option(
            names = "--threads",
            description = "Cores to use (0 = all): shared among the pipeline's workers as PyTorch intra-op threads.")
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
        CriticLoss loss = CriticLoss.parse(criticLoss);
        if (resume && !Files.isRegularFile(output.resolve(Checkpoint.FILE))) {
            throw new IllegalArgumentException("--resume: " + output.resolve(Checkpoint.FILE) + " does not exist (a run"
                    + " writes it after each epoch and removes it when it finishes)");
        }
        Manifest baseline = backpropReference == null ? null : BackpropBaseline.load(backpropReference);
        TrainingData images = TrainingData.load(
                data,
                new TrainingData.Choices(validation, limit, testLimit, inputChannels, imageSize),
                spec.commandLine().getErr());
        ImageSet train = images.train();
        int classes = images.labels().size();
        int maxLabel = Arrays.stream(train.labels()).max().orElse(0);
        if (maxLabel >= classes) {
            throw new IllegalArgumentException(
                    "the training data has label " + maxLabel + " but only " + classes + " class names");
        }
        Augmentation augmentation = TrainChoices.augmentation(
                noAugment, augment, TrainChoices.defaultAugmentation(train.channels(), images.labels()));
        NetworkConfig config = networkConfig(train, classes);
        int cores = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        Parallelism parallelism = TrainChoices.parallelism(pipeline, trainingMode, config.stageCount(), cores);
        // Every core to the main thread until a pipeline gives each worker its share (StagePipeline).
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(cores));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");

        int batch = batchSize != null ? batchSize : DataFit.batchSize(train.size());
        TrainingOptions options = new TrainingOptions(
                trainingMode,
                loss,
                epochs,
                batch,
                learningRate != null ? learningRate : DataFit.learningRate(batch),
                DEFAULTS.momentum(),
                DEFAULTS.weightDecay(),
                criticLearningRate,
                criticCeWeight,
                augmentation,
                warmupSteps,
                seed,
                parallelism);
        for (String warning : DataFit.warnings(train.size(), images.validation().size(), batch, epochs, classes)) {
            spec.commandLine().getErr().println("warning: " + warning);
        }
        if (!resume) {
            Files.createDirectories(output);
        }
        if (!Files.isWritable(output)) {
            throw new AccessDeniedException(output.toString());
        }
        TrainingRun run = new TrainingRun(
                output,
                images,
                config,
                options,
                new TrainingRun.Reference(baseline, backpropReference),
                "java -jar src/trainer/target/lctserve-trainer.jar "
                        + String.join(" ", spec.commandLine().getParseResult().originalArgs())
                                .replace(" --resume", ""),
                cores,
                resume);
        return run.run(spec.commandLine().getOut());
    }

    /** The default network for this data, with whatever the options override. */
    private NetworkConfig networkConfig(ImageSet train, int classes) {
        int c = train.channels();
        int plane = train.rows() * train.cols();
        double[] sum = new double[c];
        double[] squares = new double[c];
        byte[] pixels = train.pixels();
        for (int i = 0; i < pixels.length; i++) {
            double v = (pixels[i] & 0xFF) / 255.0;
            int channel = (i / plane) % c;
            sum[channel] += v;
            squares[channel] += v * v;
        }
        List<Float> mean = new ArrayList<>();
        List<Float> std = new ArrayList<>();
        double count = (double) pixels.length / c;
        for (int k = 0; k < c; k++) {
            double m = sum[k] / count;
            mean.add((float) m);
            std.add((float) Math.sqrt(squares[k] / count - m * m));
        }
        NetworkConfig d = NetworkConfig.defaults(classes, c, train.rows(), train.cols(), mean, std);
        int stages = channels != null ? channels.size() : d.stageCount();
        NetworkConfig config = new NetworkConfig(
                c,
                train.rows(),
                train.cols(),
                classes,
                d.pixelMean(),
                d.pixelStd(),
                NetworkConfig.stemStride(stages, train.rows(), train.cols()),
                channels != null ? channels : d.channels(),
                blocks != null ? blocks : d.blocks(),
                strides != null ? strides : NetworkConfig.strides(stages, train.rows(), train.cols()),
                criticConvs != null ? criticConvs : d.criticConvs(),
                criticChannels != null ? criticChannels : d.criticChannels());
        return submodel == null ? config : config.submodel(submodel);
    }
}
