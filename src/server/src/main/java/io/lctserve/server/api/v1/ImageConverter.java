package io.lctserve.server.api.v1;

import io.lctserve.core.manifest.TensorSpec;
import io.lctserve.server.inference.InvalidRequestException;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * Turns an uploaded PNG or JPEG into the model input: scaled to the model's H x W (bilinear),
 * grey (luminance) for one channel or RGB planes for three, pixel values in [0, 1].
 */
final class ImageConverter {

    private ImageConverter() {}

    static float[] toInput(byte[] bytes, TensorSpec spec, boolean invert) {
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            throw new InvalidRequestException("the upload is not a readable PNG or JPEG image: " + e.getMessage());
        }
        if (image == null) {
            throw new InvalidRequestException("the upload is not a PNG or JPEG image");
        }
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
}
