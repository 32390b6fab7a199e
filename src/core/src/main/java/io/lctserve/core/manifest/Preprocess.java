package io.lctserve.core.manifest;

/**
 * How a picture of any size becomes the model input ({@code [C, H, W]}, values in [0, 1]): the
 * manifest records it, and training, {@code evaluate}, {@code /v1 classify} and the page apply it
 * alike ({@link io.lctserve.core.data.Pictures}). A manifest without it means {@link #DEFAULT}.
 *
 * @param resize {@value #SHORTER_SIDE_CENTER_CROP}: scale the picture, keeping its aspect ratio,
 *     until it covers H x W (its shorter side reaches the target), then cut the centre H x W, as
 *     torchvision's evaluation transform ({@code Resize} + {@code CenterCrop}) does; a picture
 *     already H x W is taken as it is
 * @param interpolation {@value #BILINEAR} (reductions below half are done in halving steps, so no
 *     pixel is skipped)
 * @param colour {@code grey} (ITU-R 601 luminance of a colour picture, as PIL's {@code convert("L")})
 *     or {@code rgb} (a grey picture's value in all three planes); must agree with the input's C
 */
public record Preprocess(String resize, String interpolation, String colour) {

    public static final String SHORTER_SIDE_CENTER_CROP = "shorter-side-center-crop";
    public static final String BILINEAR = "bilinear";
    public static final String GREY = "grey";
    public static final String RGB = "rgb";

    /** What models written before the manifest recorded it were fed (28x28 grey, no resizing needed). */
    public static final Preprocess DEFAULT = new Preprocess(SHORTER_SIDE_CENTER_CROP, BILINEAR, null);

    /** The policy for an input of {@code channels} channels (1: grey, 3: RGB). */
    public static Preprocess forChannels(int channels) {
        return new Preprocess(SHORTER_SIDE_CENTER_CROP, BILINEAR, channels == 1 ? GREY : RGB);
    }

    /** The manifest's policy, or the default when it records none. */
    public static Preprocess of(Manifest manifest) {
        return manifest.preprocess() == null ? DEFAULT : manifest.preprocess();
    }
}
