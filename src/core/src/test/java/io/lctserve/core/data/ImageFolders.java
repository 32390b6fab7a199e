package io.lctserve.core.data;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Image-folder data sets that tests build for themselves: Fashion-MNIST pictures from
 * {@code testdata/} written as PNG and JPEG files, and coloured shapes on coloured backgrounds.
 */
public final class ImageFolders {

    /** The classes of {@link #shapes}, in sorted (label) order. */
    public static final List<String> SHAPES = List.of("circle", "cross", "square", "triangle");

    private ImageFolders() {}

    /**
     * Fashion-MNIST as image folders: {@code perClass} training and test pictures per class under
     * class folders named by label number, every fifth one a JPEG.
     */
    public static Path fashionMnist(Path root, int trainPerClass, int testPerClass) {
        write(root.resolve("train"), FashionMnistSlices.train(), trainPerClass);
        write(root.resolve("test"), FashionMnistSlices.test(), testPerClass);
        return root;
    }

    private static void write(Path split, ImageSet images, int perClass) {
        int[] written = new int[10];
        for (int i = 0; i < images.size(); i++) {
            int label = images.labels()[i];
            if (written[label] == perClass) {
                continue;
            }
            BufferedImage image = new BufferedImage(images.cols(), images.rows(), BufferedImage.TYPE_BYTE_GRAY);
            byte[] data = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
            System.arraycopy(images.pixels(), i * images.pixelsPerImage(), data, 0, data.length);
            boolean jpeg = written[label] % 5 == 4;
            save(image, split.resolve("class-" + label).resolve(i + (jpeg ? ".jpg" : ".png")));
            written[label]++;
        }
    }

    /**
     * Four shapes ({@link #SHAPES}) drawn in a random colour on a random background of another
     * brightness, {@code side x side} pixels, every fifth one a JPEG; with {@code mixedSizes}, every
     * seventh picture is larger and not square, so the resize policy has work to do.
     */
    public static Path shapes(Path root, int trainPerClass, int testPerClass, int side, boolean mixedSizes) {
        Random random = new Random(11);
        for (String split : List.of("train", "test")) {
            int perClass = split.equals("train") ? trainPerClass : testPerClass;
            for (int c = 0; c < SHAPES.size(); c++) {
                for (int i = 0; i < perClass; i++) {
                    boolean odd = mixedSizes && i % 7 == 6;
                    int w = odd ? side * 3 / 2 : side;
                    int h = odd ? side * 5 / 4 : side;
                    boolean jpeg = i % 5 == 4;
                    Path file = root.resolve(split).resolve(SHAPES.get(c)).resolve(i + (jpeg ? ".jpg" : ".png"));
                    save(shape(c, w, h, random), file);
                }
            }
        }
        return root;
    }

    /** One shape of class {@code c}, centred with some jitter. */
    public static BufferedImage shape(int c, int w, int h, Random random) {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        Color background = new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256));
        Color ink;
        do {
            ink = new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256));
        } while (Math.abs(luma(ink) - luma(background)) < 80);
        g.setColor(background);
        g.fillRect(0, 0, w, h);
        g.setColor(ink);
        int side = Math.min(w, h);
        int size = side / 2 + random.nextInt(side / 4);
        int x = (w - size) / 2 + random.nextInt(5) - 2;
        int y = (h - size) / 2 + random.nextInt(5) - 2;
        switch (c) {
            case 0 -> g.fillOval(x, y, size, size);
            case 1 -> {
                g.fillRect(x + size / 3, y, size / 3, size);
                g.fillRect(x, y + size / 3, size, size / 3);
            }
            case 2 -> g.fillRect(x, y, size, size);
            default -> g.fillPolygon(new int[] {x, x + size, x + size / 2}, new int[] {y + size, y + size, y}, 3);
        }
        g.dispose();
        return image;
    }

    private static double luma(Color c) {
        return 0.299 * c.getRed() + 0.587 * c.getGreen() + 0.114 * c.getBlue();
    }

    /** Writes a PNG or (by the file's ending) JPEG. */
    public static void save(BufferedImage image, Path file) {
        try {
            Files.createDirectories(file.getParent());
            String format = file.toString().endsWith(".png") ? "png" : "jpeg";
            if (!ImageIO.write(image, format, file.toFile())) {
                throw new IOException("no writer for " + format);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
