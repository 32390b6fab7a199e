package io.lctserve.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A small data set that is not Fashion-MNIST, to try the trainer's defaults as a new user's data
 * would: handwriting-like digits drawn as strokes (no fonts, so the same seed gives the same images
 * on any machine with the same JDK), each with its own slant, size, thickness, wobble and position,
 * some with a stray stroke. Mirror images of digits are other shapes (2 and 5, 3 and E), so
 * horizontal flips are wrong for it. Grey 28x28 in IDX files by default; as image folders
 * ({@code train/<digit>/*.png}, some JPEG) and, with {@code --colour}, drawn in a random colour on a
 * random background of another brightness (RGB, 32x32 unless {@code --size} says otherwise).
 */
@Command(
        name = "digits",
        mixinStandardHelpOptions = true,
        description = "Writes a synthetic digit data set for trying the trainer on data of your own: 28x28 grey IDX"
                + " files (train-*, t10k-*, gzip) by default, or image folders (train/<digit>/, test/<digit>/; PNG"
                + " and some JPEG) with --format folders, in colour with --colour.")
final class DigitsCommand implements Callable<Integer> {

    @Option(names = "--out", required = true, description = "Directory to write.")
    Path out;

    @Option(names = "--train", description = "Training images. Default: ${DEFAULT-VALUE}")
    int train = 8000;

    @Option(names = "--test", description = "Test images. Default: ${DEFAULT-VALUE}")
    int test = 2000;

    @Option(names = "--seed", description = "Default: ${DEFAULT-VALUE}")
    long seed = 7;

    @Option(
            names = "--format",
            paramLabel = "idx|folders",
            description = "idx: IDX files (grey only); folders: one folder per class of PNG files, a share of them"
                    + " JPEG (--jpeg). Default: idx, or folders with --colour")
    String format;

    @Option(
            names = "--colour",
            description = "Digits in a random colour on a random background colour of another brightness (RGB).")
    boolean colour;

    @Option(names = "--size", description = "Side in pixels. Default: 28, or 32 with --colour")
    Integer size;

    @Option(
            names = "--jpeg",
            description = "Share of the folder images written as JPEG (quality 90) instead of PNG."
                    + " Default: ${DEFAULT-VALUE}")
    double jpeg = 0.2;

    static final int SIZE = 28;

    /** Each digit's strokes as polylines in the unit square (y down). */
    private static final double[][][] STROKES = {
        {ellipse(0.5, 0.5, 0.27, 0.4)},
        {{0.38, 0.25, 0.52, 0.1, 0.52, 0.9}},
        {{0.25, 0.3, 0.35, 0.14, 0.55, 0.1, 0.72, 0.2, 0.72, 0.38, 0.25, 0.88, 0.78, 0.88}},
        {{0.25, 0.14, 0.7, 0.14, 0.45, 0.44, 0.7, 0.58, 0.72, 0.78, 0.5, 0.9, 0.25, 0.82}},
        {{0.62, 0.9, 0.62, 0.1, 0.2, 0.65, 0.8, 0.65}},
        {{0.75, 0.1, 0.32, 0.1, 0.28, 0.45, 0.55, 0.4, 0.73, 0.55, 0.7, 0.8, 0.5, 0.9, 0.25, 0.82}},
        {{0.7, 0.12, 0.45, 0.2, 0.3, 0.45, 0.28, 0.72, 0.45, 0.9, 0.68, 0.82, 0.72, 0.62, 0.55, 0.5, 0.3, 0.6}},
        {{0.22, 0.12, 0.78, 0.12, 0.45, 0.9}},
        {ellipse(0.5, 0.3, 0.18, 0.18), ellipse(0.5, 0.68, 0.22, 0.22)},
        {{0.7, 0.4, 0.5, 0.5, 0.3, 0.38, 0.35, 0.15, 0.55, 0.1, 0.7, 0.25, 0.7, 0.5, 0.6, 0.9}},
    };

    @Override
    public Integer call() throws IOException {
        if (train < 1 || test < 1) {
            throw new IllegalArgumentException("--train and --test must be >= 1");
        }
        int side = size != null ? size : colour ? 32 : SIZE;
        if (side < 8 || side > 512) {
            throw new IllegalArgumentException("--size must be 8..512, was " + side);
        }
        String layout = format != null ? format : colour ? "folders" : "idx";
        if (!layout.equals("idx") && !layout.equals("folders")) {
            throw new IllegalArgumentException("--format takes idx or folders, was '" + layout + "'");
        }
        if (layout.equals("idx") && colour) {
            throw new IllegalArgumentException("IDX files hold grey images: --colour needs --format folders");
        }
        if (!(jpeg >= 0 && jpeg <= 1)) {
            throw new IllegalArgumentException("--jpeg is a share in [0, 1], was " + jpeg);
        }
        Files.createDirectories(out);
        Random random = new Random(seed);
        if (layout.equals("idx")) {
            writeIdx("train", train, side, random);
            writeIdx("t10k", test, side, random);
        } else {
            writeFolders("train", train, side, random);
            writeFolders("test", test, side, random);
        }
        System.out.printf(
                Locale.ROOT,
                "wrote %d training and %d test images of 10 digits (%dx%d %s, %s) to %s%n",
                train,
                test,
                side,
                side,
                colour ? "RGB" : "grey",
                layout.equals("idx") ? "IDX" : "image folders",
                out);
        return 0;
    }

    private void writeIdx(String prefix, int count, int side, Random random) throws IOException {
        byte[] labels = new byte[count];
        byte[] pixels = new byte[count * side * side];
        for (int i = 0; i < count; i++) {
            int digit = random.nextInt(10);
            labels[i] = (byte) digit;
            BufferedImage image = draw(digit, random, side);
            byte[] raster = ((java.awt.image.DataBufferByte) image.getRaster().getDataBuffer()).getData();
            System.arraycopy(raster, 0, pixels, i * side * side, side * side);
        }
        try (DataOutputStream images = idx(out.resolve(prefix + "-images-idx3-ubyte.gz"), 0x803)) {
            images.writeInt(count);
            images.writeInt(side);
            images.writeInt(side);
            images.write(pixels);
        }
        try (DataOutputStream l = idx(out.resolve(prefix + "-labels-idx1-ubyte.gz"), 0x801)) {
            l.writeInt(count);
            l.write(labels);
        }
    }

    /** {@code DIR/<split>/<digit>/<n>.png} (or .jpg for a share of them). */
    private void writeFolders(String split, int count, int side, Random random) throws IOException {
        for (int d = 0; d < 10; d++) {
            Files.createDirectories(out.resolve(split).resolve(Integer.toString(d)));
        }
        for (int i = 0; i < count; i++) {
            int digit = random.nextInt(10);
            BufferedImage image = draw(digit, random, side);
            boolean asJpeg = random.nextDouble() < jpeg;
            Path file = out.resolve(split)
                    .resolve(Integer.toString(digit))
                    .resolve(String.format(Locale.ROOT, "%05d.%s", i, asJpeg ? "jpg" : "png"));
            if (!ImageIO.write(image, asJpeg ? "jpeg" : "png", file.toFile())) {
                throw new IOException("no ImageIO writer for " + file);
            }
        }
    }

    private static DataOutputStream idx(Path file, int magic) throws IOException {
        OutputStream gzip = new GZIPOutputStream(Files.newOutputStream(file));
        DataOutputStream data = new DataOutputStream(gzip);
        data.writeInt(magic);
        return data;
    }

    /** One digit: grey strokes on black with sensor noise, or with --colour a colour on another colour. */
    private BufferedImage draw(int digit, Random random, int side) {
        Color background = Color.BLACK;
        Color ink = null;
        if (colour) {
            background = new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256));
            do {
                ink = new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256));
            } while (Math.abs(luminance(ink) - luminance(background)) < 70);
        }
        BufferedImage image =
                new BufferedImage(side, side, colour ? BufferedImage.TYPE_INT_RGB : BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setColor(background);
        g.fillRect(0, 0, side, side);
        double unit = side / (double) SIZE;
        double scale = (17 + 6 * random.nextDouble()) * unit;
        AffineTransform t = new AffineTransform();
        t.translate(side / 2.0 + random.nextGaussian() * 1.5 * unit, side / 2.0 + random.nextGaussian() * 1.5 * unit);
        t.rotate(Math.toRadians(random.nextGaussian() * 10));
        t.shear(random.nextGaussian() * 0.2, 0);
        t.scale(scale * (0.75 + 0.3 * random.nextDouble()), scale);
        t.translate(-0.5, -0.5);
        Color level = grey(150 + random.nextInt(106));
        g.setColor(colour ? ink : level);
        g.setStroke(new BasicStroke(
                (float) ((1.4 + 1.8 * random.nextDouble()) * unit), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        for (double[] stroke : STROKES[digit]) {
            Path2D.Double path = new Path2D.Double();
            for (int p = 0; p < stroke.length; p += 2) {
                double x = stroke[p] + random.nextGaussian() * 0.025;
                double y = stroke[p + 1] + random.nextGaussian() * 0.025;
                if (p == 0) {
                    path.moveTo(x, y);
                } else {
                    path.lineTo(x, y);
                }
            }
            g.draw(t.createTransformedShape(path));
        }
        if (random.nextDouble() < 0.3) { // a stray stroke
            g.setStroke(new BasicStroke(
                    (float) ((1f + random.nextFloat()) * unit), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            g.drawLine(random.nextInt(side), random.nextInt(side), random.nextInt(side), random.nextInt(side));
        }
        g.dispose();
        addNoise(image, random);
        return image;
    }

    /** Sensor noise: a Gaussian of 12 levels on every sample. */
    private static void addNoise(BufferedImage image, Random random) {
        var raster = image.getRaster();
        int bands = raster.getNumBands();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                for (int b = 0; b < bands; b++) {
                    int v = raster.getSample(x, y, b) + (int) Math.round(random.nextGaussian() * 12);
                    raster.setSample(x, y, b, Math.max(0, Math.min(255, v)));
                }
            }
        }
    }

    private static double luminance(Color c) {
        return 0.299 * c.getRed() + 0.587 * c.getGreen() + 0.114 * c.getBlue();
    }

    private static Color grey(int level) {
        return new Color(level, level, level);
    }

    private static double[] ellipse(double cx, double cy, double rx, double ry) {
        int n = 16;
        double[] points = new double[2 * (n + 1)];
        for (int i = 0; i <= n; i++) {
            double a = 2 * Math.PI * i / n;
            points[2 * i] = cx + rx * Math.sin(a);
            points[2 * i + 1] = cy - ry * Math.cos(a);
        }
        return points;
    }
}
