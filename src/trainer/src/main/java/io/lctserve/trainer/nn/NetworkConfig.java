package io.lctserve.trainer.nn;

import java.util.List;

/**
 * The shape of a staged residual CNN. Stage k holds {@code blocks[k]} residual blocks of
 * {@code channels[k]} channels, the first with stride {@code strides[k]}; stage 0 starts with a
 * normalization and a 3x3 stem convolution. Head k < N-1 is a local critic of
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
        float pixelMean,
        float pixelStd,
        List<Integer> channels,
        List<Integer> blocks,
        List<Integer> strides,
        List<Integer> criticConvs,
        int criticChannels) {

    public NetworkConfig {
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
                channels.subList(0, k + 1),
                blocks.subList(0, k + 1),
                strides.subList(0, k + 1),
                criticConvs.subList(0, k + 1),
                criticChannels);
    }

    /** The default: 4 stages, ~21 M MACs per image on 28x28 grey images. */
    public static NetworkConfig defaults(int classes, float pixelMean, float pixelStd) {
        return new NetworkConfig(
                1,
                28,
                28,
                classes,
                pixelMean,
                pixelStd,
                List.of(24, 48, 96, 192),
                List.of(1, 2, 1, 1),
                List.of(2, 2, 1, 2),
                List.of(2, 1, 1),
                32);
    }
}
