package io.lctserve.core.data;

import io.lctserve.core.data.PictureException.Reason;
import io.lctserve.core.manifest.Preprocess;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;

/**
 * PNG and JPEG pictures to model input, one way for every consumer (the trainer's image folders,
 * {@code evaluate}, the server's uploads), so that the same picture gives the same input bytes
 * everywhere. Decoding is ImageIO's, resizing Java2D's bilinear; what is done is {@link Preprocess}'s
 * policy. Pixel values are taken as the file stores them (8-bit samples, 16-bit ones scaled down),
 * never through a colour-management conversion, as PIL and torchvision read them.
 */
public final class Pictures {

    /** Longest side decoded in full; larger pictures are read every n-th pixel, since only H x W survive. */
    public static final int DECODE_SIDE = 1024;

    private static final Set<String> FORMATS = Set.of("png", "jpeg");

    private Pictures() {}

    /** What a picture's header says, read without decoding its pixels. */
    public record Header(int width, int height, boolean grey) {}

    /** Reads the header of a PNG or JPEG file. */
    public static Header header(Path file) throws PictureException {
        return withReader(open(file), file.toString(), reader -> {
            ImageTypeSpecifier type = reader.getRawImageType(0);
            if (type == null) {
                Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
                type = types.hasNext() ? types.next() : null;
            }
            boolean grey = type != null && isGrey(type.getColorModel());
            return new Header(reader.getWidth(0), reader.getHeight(0), grey);
        });
    }

    /** Decodes a PNG or JPEG file. */
    public static BufferedImage decode(Path file, long maxPixels) throws PictureException {
        return withReader(open(file), file.toString(), reader -> read(reader, maxPixels, file.toString()));
    }

    /** Decodes PNG or JPEG bytes (an upload). */
    public static BufferedImage decode(byte[] bytes, long maxPixels) throws PictureException {
        return withReader(
                new ByteArrayInputStream(bytes), "the upload", reader -> read(reader, maxPixels, "the upload"));
    }

    /** Whether a decoded picture has one colour component (grey, or a palette of greys). */
    public static boolean isGrey(BufferedImage image) {
        return isGrey(image.getColorModel());
    }

    /**
     * The model input of {@code image}: {@code channels} planes (1 grey, 3 RGB) of {@code rows x cols}
     * bytes, converted as {@link Preprocess} says: colour first, then scaled keeping the aspect ratio
     * until it covers {@code rows x cols}, then the centre cut out.
     */
    public static byte[] toInput(BufferedImage image, int channels, int rows, int cols) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("pictures feed 1 or 3 channels, not " + channels);
        }
        byte[][] planes = colour(planes(image), channels, image.getWidth() * image.getHeight());
        byte[] out = new byte[channels * rows * cols];
        for (int c = 0; c < channels; c++) {
            byte[] plane = fit(planes[c], image.getWidth(), image.getHeight(), cols, rows);
            System.arraycopy(plane, 0, out, c * rows * cols, rows * cols);
        }
        return out;
    }

    private interface ReaderTask<T> {
        T run(ImageReader reader) throws IOException;
    }

    private static InputStream open(Path file) throws PictureException {
        try {
            return Files.newInputStream(file);
        } catch (IOException e) {
            throw new PictureException(Reason.DAMAGED, file + ": cannot be read (" + e.getMessage() + ")");
        }
    }

    private static <T> T withReader(InputStream raw, String what, ReaderTask<T> task) throws PictureException {
        try (InputStream closing = raw;
                ImageInputStream in = ImageIO.createImageInputStream(closing)) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            ImageReader reader = readers != null && readers.hasNext() ? readers.next() : null;
            if (reader == null || !FORMATS.contains(reader.getFormatName().toLowerCase(Locale.ROOT))) {
                throw new PictureException(Reason.NOT_AN_IMAGE, what + " is not a PNG or JPEG image");
            }
            try {
                reader.setInput(in, true, true);
                return task.run(reader);
            } finally {
                reader.dispose();
            }
        } catch (PictureException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new PictureException(
                    Reason.DAMAGED,
                    what + " is not a readable PNG or JPEG image: "
                            + (e.getMessage() == null ? "it ends early or is damaged" : e.getMessage()));
        }
    }

    private static BufferedImage read(ImageReader reader, long maxPixels, String what) throws IOException {
        long width = reader.getWidth(0);
        long height = reader.getHeight(0);
        if (width * height > maxPixels) {
            throw new PictureException(
                    Reason.TOO_LARGE,
                    what + " is " + width + "x" + height + " pixels, more than the limit of " + maxPixels);
        }
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        ImageReadParam param = reader.getDefaultReadParam();
        long step = Math.max(1, (Math.max(width, height) + DECODE_SIDE - 1) / DECODE_SIDE);
        param.setSourceSubsampling((int) step, (int) step, 0, 0);
        BufferedImage image = reader.read(0, param);
        if (!warnings.isEmpty()) {
            // ImageIO decodes a truncated JPEG with a warning and grey rows: that is a damaged picture.
            throw new PictureException(Reason.DAMAGED, what + " is damaged: " + warnings.get(0));
        }
        return image;
    }

    private static boolean isGrey(ColorModel model) {
        if (model instanceof IndexColorModel palette) {
            for (int i = 0; i < palette.getMapSize(); i++) {
                if (palette.getRed(i) != palette.getGreen(i) || palette.getGreen(i) != palette.getBlue(i)) {
                    return false;
                }
            }
            return true;
        }
        return model.getNumColorComponents() == 1;
    }

    /** One plane per colour component (1 or 3) at the picture's own size, as the file stores them. */
    static byte[][] planes(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        ColorModel model = image.getColorModel();
        int type = model.getColorSpace().getType();
        int colours = model.getNumColorComponents();
        if (model instanceof ComponentColorModel
                && ((colours == 1 && type == ColorSpace.TYPE_GRAY) || (colours == 3 && type == ColorSpace.TYPE_RGB))) {
            Raster raster = image.getRaster();
            byte[][] planes = new byte[colours][w * h];
            int[] samples = new int[w * h];
            for (int c = 0; c < colours; c++) {
                int bits = model.getComponentSize(c);
                int max = (1 << bits) - 1;
                raster.getSamples(0, 0, w, h, c, samples);
                for (int i = 0; i < samples.length; i++) {
                    int v = bits == 8 ? samples[i] : bits > 8 ? samples[i] >> (bits - 8) : samples[i] * 255 / max;
                    planes[c][i] = (byte) v;
                }
            }
            return planes;
        }
        // Palettes and packed pixels hold sRGB values already: getRGB changes nothing for them.
        int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
        boolean grey = isGrey(model);
        byte[][] planes = new byte[grey ? 1 : 3][w * h];
        for (int i = 0; i < argb.length; i++) {
            planes[0][i] = (byte) (argb[i] >> 16);
            if (!grey) {
                planes[1][i] = (byte) (argb[i] >> 8);
                planes[2][i] = (byte) argb[i];
            }
        }
        return planes;
    }

    /** Grey to RGB by copying the plane; RGB to grey by ITU-R 601 luminance in PIL's fixed point. */
    private static byte[][] colour(byte[][] planes, int channels, int n) {
        if (planes.length == channels) {
            return planes;
        }
        if (channels == 3) {
            return new byte[][] {planes[0], planes[0], planes[0]};
        }
        byte[] grey = new byte[n];
        for (int i = 0; i < n; i++) {
            int r = planes[0][i] & 0xFF;
            int g = planes[1][i] & 0xFF;
            int b = planes[2][i] & 0xFF;
            grey[i] = (byte) ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
        }
        return new byte[][] {grey};
    }

    /** One plane scaled to cover {@code cols x rows} keeping its aspect ratio, then its centre cut out. */
    private static byte[] fit(byte[] plane, int w, int h, int cols, int rows) {
        if (w == cols && h == rows) {
            return plane;
        }
        double scale = Math.max((double) cols / w, (double) rows / h);
        int sw = Math.max(cols, (int) Math.round(w * scale));
        int sh = Math.max(rows, (int) Math.round(h * scale));
        BufferedImage image = grey(plane, w, h);
        while (image.getWidth() / 2 >= sw && image.getHeight() / 2 >= sh) {
            image = scaled(image, image.getWidth() / 2, image.getHeight() / 2);
        }
        if (image.getWidth() != sw || image.getHeight() != sh) {
            image = scaled(image, sw, sh);
        }
        byte[] scaled = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        int x0 = (sw - cols) / 2;
        int y0 = (sh - rows) / 2;
        byte[] out = new byte[rows * cols];
        for (int y = 0; y < rows; y++) {
            System.arraycopy(scaled, (y0 + y) * sw + x0, out, y * cols, cols);
        }
        return out;
    }

    private static BufferedImage grey(byte[] plane, int w, int h) {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        byte[] data = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        System.arraycopy(plane, 0, data, 0, w * h);
        return image;
    }

    /** Grey onto grey: Java2D's loops copy the values, no colour conversion. */
    private static BufferedImage scaled(BufferedImage image, int w, int h) {
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(image, 0, 0, w, h, null);
        } finally {
            g.dispose();
        }
        return out;
    }
}
