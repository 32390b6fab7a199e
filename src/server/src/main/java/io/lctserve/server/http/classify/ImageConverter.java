package io.lctserve.server.http.classify;

import io.lctserve.core.manifest.TensorSpec;
import io.lctserve.server.inference.InferenceException;
import io.lctserve.server.inference.InvalidRequestException;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Turns an uploaded PNG or JPEG into the model input: scaled to the model's H x W (bilinear),
 * grey (luminance) for one channel or RGB planes for three, pixel values in [0, 1].
 *
 * <p>Decoding is bounded before it starts: the size the image's header declares is checked against
 * {@code maxPixels} (a few hundred compressed bytes can declare gigabytes of pixels), and an image
 * larger than {@link #DECODE_SIDE} on a side is decoded subsampled, since only H x W survive anyway.
 */
final class ImageConverter {

    /** Longest side decoded in full; larger images are read every n-th pixel. */
    static final int DECODE_SIDE = 1024;

    private static final Set<String> FORMATS = Set.of("png", "jpeg");

    private ImageConverter() {}

    static float[] toInput(byte[] bytes, TensorSpec spec, boolean invert, long maxPixels) {
        BufferedImage image = decode(bytes, maxPixels);
        int channels = spec.shape().get(1).intValue();
        int height = spec.shape().get(2).intValue();
        int width = spec.shape().get(3).intValue();
        if (channels != 1 && channels != 3) {
            throw new InvalidRequestException(
                    "images can only feed models with 1 or 3 channels, this one has " + channels);
        }
        BufferedImage scaled = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(image, 0, 0, width, height, null);
        } finally {
            g.dispose();
        }
        float[] pixels = new float[channels * height * width];
        int plane = height * width;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int rgb = scaled.getRGB(x, y);
                float r = ((rgb >> 16) & 0xFF) / 255f;
                float gr = ((rgb >> 8) & 0xFF) / 255f;
                float b = (rgb & 0xFF) / 255f;
                int i = y * width + x;
                if (channels == 1) {
                    float grey = 0.299f * r + 0.587f * gr + 0.114f * b;
                    pixels[i] = invert ? 1f - grey : grey;
                } else {
                    pixels[i] = invert ? 1f - r : r;
                    pixels[plane + i] = invert ? 1f - gr : gr;
                    pixels[2 * plane + i] = invert ? 1f - b : b;
                }
            }
        }
        return pixels;
    }

    private static BufferedImage decode(byte[] bytes, long maxPixels) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            ImageReader reader = readers.hasNext() ? readers.next() : null;
            if (reader == null || !FORMATS.contains(reader.getFormatName().toLowerCase(Locale.ROOT))) {
                throw new InvalidRequestException("the upload is not a PNG or JPEG image");
            }
            try {
                reader.setInput(in, true, true);
                long width = reader.getWidth(0);
                long height = reader.getHeight(0);
                if (width * height > maxPixels) {
                    throw new InferenceException(
                            InferenceException.Kind.TOO_LARGE,
                            "the image is " + width + "x" + height + " pixels, more than the limit of " + maxPixels
                                    + " (lctserve.max-image-pixels)");
                }
                ImageReadParam param = reader.getDefaultReadParam();
                long step = Math.max(1, (Math.max(width, height) + DECODE_SIDE - 1) / DECODE_SIDE);
                param.setSourceSubsampling((int) step, (int) step, 0, 0);
                return reader.read(0, param);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof InferenceException) {
                throw (RuntimeException) e;
            }
            throw new InvalidRequestException("the upload is not a readable PNG or JPEG image: "
                    + (e.getMessage() == null ? "it ends early or is damaged" : e.getMessage()));
        }
    }
}
