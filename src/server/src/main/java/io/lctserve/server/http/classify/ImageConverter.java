package io.lctserve.server.http.classify;

import io.lctserve.core.data.PictureException;
import io.lctserve.core.data.Pictures;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.Preprocess;
import io.lctserve.server.inference.InferenceException;
import io.lctserve.server.inference.InvalidRequestException;
import java.util.List;

/**
 * Turns an uploaded PNG or JPEG into the model input exactly as the trainer and {@code evaluate}
 * turn a picture of an image folder into it ({@link Pictures}, the manifest's {@link Preprocess}
 * policy: colour, then scaled keeping the aspect ratio until it covers H x W, then the centre cut
 * out), so an upload gets the answer {@code evaluate} gives the same file; values in [0, 1].
 *
 * <p>Decoding is bounded before it starts: the size the image's header declares is checked against
 * {@code maxPixels} (a few hundred compressed bytes can declare gigabytes of pixels), and an image
 * larger than {@link Pictures#DECODE_SIDE} on a side is decoded subsampled, since only H x W survive.
 */
final class ImageConverter {

    private ImageConverter() {}

    static float[] toInput(byte[] bytes, Manifest manifest, boolean invert, long maxPixels) {
        byte[] input = toBytes(bytes, manifest, invert, maxPixels);
        float[] pixels = new float[input.length];
        for (int i = 0; i < input.length; i++) {
            pixels[i] = (input[i] & 0xFF) / 255f;
        }
        return pixels;
    }

    /** The model input as bytes (0-255, channel planes), inverted (255 - v) when asked. */
    static byte[] toBytes(byte[] bytes, Manifest manifest, boolean invert, long maxPixels) {
        List<Long> shape = manifest.input().shape();
        int channels = shape.get(1).intValue();
        if (channels != 1 && channels != 3) {
            throw new InvalidRequestException(
                    "images can only feed models with 1 or 3 channels, this one has " + channels);
        }
        byte[] input;
        try {
            input = Pictures.toInput(
                    Pictures.decode(bytes, maxPixels),
                    channels,
                    shape.get(2).intValue(),
                    shape.get(3).intValue());
        } catch (PictureException e) {
            if (e.reason() == PictureException.Reason.TOO_LARGE) {
                throw new InferenceException(
                        InferenceException.Kind.TOO_LARGE, e.getMessage() + " (lctserve.max-image-pixels)");
            }
            throw new InvalidRequestException(e.getMessage());
        }
        if (invert) {
            for (int i = 0; i < input.length; i++) {
                input[i] = (byte) (255 - (input[i] & 0xFF));
            }
        }
        return input;
    }
}
