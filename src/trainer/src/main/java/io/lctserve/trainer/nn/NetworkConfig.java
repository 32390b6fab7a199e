package io.lctserve.trainer.nn;

import java.util.List;

/**
 * The shape of a staged residual CNN. Stage k holds {@code blocks[k]} residual blocks of
 * {@code channels[k]} channels, the first with stride {@code strides[k]}; stage 0 starts with a
 * normalization (per input channel) and a 3x3 stem convolution of stride {@code stemStride}. Head k < N-1 is a local critic of
 * {@code criticConvs[k]} 3x3 convolutions ({@code criticChannels} filters, ReLU, the first one
 * strided while the map is larger than 7x7) plus a fully connected layer; the last head is the
 * main classifier (global average pooling + fully connected). Given one {@code criticConvs} value
 * per stage instead of per local critic, the last head is critic-shaped too: that is how "stages
 * 0..k + critic k" is built as a network of its own, to be trained alone by backprop and compared
 * with the sub-model cut out of an LCT network.
 */
public record NetworkConfig(
        int inputChannels,
        int height,
        int width,
        int classes,
        List<Float> pixelMean,
        List<Float> pixelStd,
        int stemStride,
        List<Integer> channels,
        List<Integer> blocks,
        List<Integer> strides,
        List<Integer> criticConvs,
        int criticChannels) {

    public NetworkConfig {
        pixelMean = List.copyOf(pixelMean);
        pixelStd = List.copyOf(pixelStd);
        if (pixelMean.size() != inputChannels || pixelStd.size() != inputChannels) {
            throw new IllegalArgumentException("pixel mean and std need one value per input channel (" + inputChannels
                    + "), got " + pixelMean + " and " + pixelStd);
        }
        if (stemStride < 1 || stemStride > 2) {
            throw new IllegalArgumentException("the stem's stride must be 1 or 2, got " + stemStride);
        }
        channels = List.copyOf(channels);
        blocks = List.copyOf(blocks);
        strides = List.copyOf(strides);
        criticConvs = List.copyOf(criticConvs);
        int n = channels.size();
        if (n < 1) {
            throw new IllegalArgumentException("a staged network needs at least 1 stage");
        }
        if (blocks.size() != n || strides.size() != n) {
            throw new IllegalArgumentException("channels, blocks and strides need one value per stage (" + n + "), got "
                    + channels + ", " + blocks + ", " + strides);
        }
        if (criticConvs.size() != n - 1 && criticConvs.size() != n) {
            throw new IllegalArgumentException("critic-convs needs one value per local critic (" + (n - 1)
                    + "), or one per stage (" + n + ") for a critic-shaped last head, got " + criticConvs);
        }
        for (int k = 0; k < n; k++) {
            if (channels.get(k) < 1 || blocks.get(k) < 1 || strides.get(k) < 1 || strides.get(k) > 2) {
                throw new IllegalArgumentException(
                        "stage " + k + ": channels and blocks must be >= 1 and stride 1 or 2");
            }
        }
        if (criticConvs.stream().anyMatch(c -> c < 0) || criticChannels < 1) {
            throw new IllegalArgumentException("critic convolutions must be >= 0 and critic channels >= 1");
        }
    }

    public int stageCount() {
        return channels.size();
    }

    /** Whether the last head is a critic (convolutions + fully connected) rather than pooling + fully connected. */
    public boolean criticShapedLastHead() {
        return criticConvs.size() == channels.size();
    }

    /**
     * Stages 0..k of this network with critic k as the classifier: the architecture of the sub-model
     * that ends at head k, as a network of its own.
     */
    public NetworkConfig submodel(int k) {
        if (k < 0 || k >= stageCount()) {
            throw new IllegalArgumentException("a sub-model ends at a head in 0.." + (stageCount() - 1) + ", got " + k);
        }
        if (k == stageCount() - 1) {
            return this;
        }
        return new NetworkConfig(
                inputChannels,
                height,
                width,
                classes,
                pixelMean,
                pixelStd,
                stemStride,
                channels.subList(0, k + 1),
                blocks.subList(0, k + 1),
                strides.subList(0, k + 1),
                criticConvs.subList(0, k + 1),
                criticChannels);
    }

    /**
     * The default for images of {@code height x width}: 4 stages of 24, 48, 96 and 192 channels (1, 2,
     * 1, 1 blocks), ~21 M MACs per image on 28x28 grey images. The image is halved until its shorter
     * side is under 6 (the last map about 4x4 for global pooling): stages 0, 1, 3, then 2, then the stem
     * take the halvings, so 28x28 and 32x32 get strides 2,2,1,2; 64x64 gets 2,2,2,2; 96x96 and larger a
     * stride-2 stem as well.
     */
    public static NetworkConfig defaults(
            int classes, int inputChannels, int height, int width, List<Float> pixelMean, List<Float> pixelStd) {
        List<Integer> strides = strides(4, height, width);
        return new NetworkConfig(
                inputChannels,
                height,
                width,
                classes,
                pixelMean,
                pixelStd,
                stemStride(4, height, width),
                List.of(24, 48, 96, 192),
                List.of(1, 2, 1, 1),
                strides,
                List.of(2, 1, 1),
                32);
    }

    /**
     * The stride of each of {@code stages} stages for images of {@code height x width}: the halvings
     * go to stage 0, stage 1, the last stage, then the others from the last but one down.
     */
    public static List<Integer> strides(int stages, int height, int width) {
        int halvings = halvings(Math.min(height, width));
        Integer[] strides = new Integer[stages];
        java.util.Arrays.fill(strides, 1);
        List<Integer> order = new java.util.ArrayList<>();
        for (int k : new int[] {0, 1, stages - 1}) {
            if (k < stages && !order.contains(k)) {
                order.add(k);
            }
        }
        for (int k = stages - 2; k > 1; k--) {
            order.add(k);
        }
        for (int i = 0; i < Math.min(halvings, order.size()); i++) {
            strides[order.get(i)] = 2;
        }
        return List.of(strides);
    }

    /** 2 when the image needs more halvings than {@code stages} stages give, else 1. */
    public static int stemStride(int stages, int height, int width) {
        return halvings(Math.min(height, width)) > stages ? 2 : 1;
    }

    /** How many times to halve a side of {@code side} pixels so that it ends under 6 (at most 5). */
    static int halvings(int side) {
        int n = 0;
        while (side >= 6 && n < 5) {
            side = (side + 1) / 2;
            n++;
        }
        return n;
    }
}
