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
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.zip.GZIPOutputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A small grey-scale data set that is not Fashion-MNIST, to try the trainer's defaults as a new
 * user's data would: handwriting-like digits drawn as strokes (no fonts, so the same seed gives the
 * same images on any machine with the same JDK), each with its own slant, size, thickness, wobble and
 * position, some with a stray stroke. Mirror images of digits are other shapes (2 and 5, 3 and E), so
 * horizontal flips are wrong for it.
 */
@Command(
        name = "digits",
        mixinStandardHelpOptions = true,
        description = "Writes a synthetic 28x28 digit data set in IDX format (train-*, t10k-*, gzip) for trying the"
                + " trainer on data of your own.")
final class DigitsCommand implements Callable<Integer> {

    @Option(names = "--out", required = true, description = "Directory to write.")
    Path out;

    @Option(names = "--train", description = "Training images. Default: ${DEFAULT-VALUE}")
    int train = 8000;

    @Option(names = "--test", description = "Test images. Default: ${DEFAULT-VALUE}")
    int test = 2000;

    @Option(names = "--seed", description = "Default: ${DEFAULT-VALUE}")
    long seed = 7;

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
        Files.createDirectories(out);
        Random random = new Random(seed);
        write("train", train, random);
        write("t10k", test, random);
        System.out.printf("wrote %d training and %d test images of 10 digits to %s%n", train, test, out);
        return 0;
    }

    private void write(String prefix, int count, Random random) throws IOException {
        byte[] labels = new byte[count];
        byte[] pixels = new byte[count * SIZE * SIZE];
        for (int i = 0; i < count; i++) {
            int digit = random.nextInt(10);
            labels[i] = (byte) digit;
            draw(digit, random, pixels, i * SIZE * SIZE);
        }
        try (DataOutputStream images = idx(out.resolve(prefix + "-images-idx3-ubyte.gz"), 0x803)) {
            images.writeInt(count);
            images.writeInt(SIZE);
            images.writeInt(SIZE);
            images.write(pixels);
        }
        try (DataOutputStream l = idx(out.resolve(prefix + "-labels-idx1-ubyte.gz"), 0x801)) {
            l.writeInt(count);
            l.write(labels);
        }
    }

    private static DataOutputStream idx(Path file, int magic) throws IOException {
        OutputStream gzip = new GZIPOutputStream(Files.newOutputStream(file));
        DataOutputStream data = new DataOutputStream(gzip);
        data.writeInt(magic);
        return data;
    }

    private static void draw(int digit, Random random, byte[] pixels, int offset) {
        BufferedImage image = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setColor(Color.BLACK);
        g.fillRect(0, 0, SIZE, SIZE);
        double scale = 17 + 6 * random.nextDouble();
        AffineTransform t = new AffineTransform();
        t.translate(SIZE / 2.0 + random.nextGaussian() * 1.5, SIZE / 2.0 + random.nextGaussian() * 1.5);
        t.rotate(Math.toRadians(random.nextGaussian() * 10));
        t.shear(random.nextGaussian() * 0.2, 0);
        t.scale(scale * (0.75 + 0.3 * random.nextDouble()), scale);
        t.translate(-0.5, -0.5);
        g.setColor(grey(150 + random.nextInt(106)));
        g.setStroke(new BasicStroke(
                (float) (1.4 + 1.8 * random.nextDouble()), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
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
            g.setStroke(new BasicStroke(1f + random.nextFloat(), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            g.drawLine(random.nextInt(SIZE), random.nextInt(SIZE), random.nextInt(SIZE), random.nextInt(SIZE));
        }
        g.dispose();
        byte[] raster = new byte[SIZE * SIZE];
        image.getRaster().getDataElements(0, 0, SIZE, SIZE, raster);
        for (int i = 0; i < raster.length; i++) {
            int v = (raster[i] & 0xFF) + (int) Math.round(random.nextGaussian() * 12);
            pixels[offset + i] = (byte) Math.max(0, Math.min(255, v));
        }
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
