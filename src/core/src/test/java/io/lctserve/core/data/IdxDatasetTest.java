package io.lctserve.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxDatasetTest {

    @TempDir
    Path dir;

    @Test
    void readsTheShippedSlicesOfFashionMnist() {
        ImageSet test = FashionMnistSlices.test();
        ImageSet train = FashionMnistSlices.train();

        assertThat(test.size()).isEqualTo(10_000);
        assertThat(train.size()).isEqualTo(10_000);
        assertThat(test.rows()).isEqualTo(28);
        assertThat(test.cols()).isEqualTo(28);
        // the first test image is an ankle boot, the first training image too (Fashion-MNIST's own order)
        assertThat(test.labels()[0]).isEqualTo(9);
        assertThat(train.labels()[0]).isEqualTo(9);
        assertThat(IdxDataset.FASHION_MNIST_LABELS.get(9)).isEqualTo("Ankle boot");
    }

    @Test
    void slicesAndScalesImages() throws IOException {
        write(dir.resolve("x-images-idx3-ubyte"), 0x803, 3, new byte[] {0, (byte) 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8
        });
        write(dir.resolve("x-labels-idx1-ubyte"), 0x801, 3, new byte[] {4, 5, 6});

        ImageSet set = IdxDataset.read(dir, "x");
        ImageSet last = set.slice(1, 3);
        float[] scaled = new float[6];
        set.copyScaled(0, scaled, 2);

        assertThat(set.size()).isEqualTo(3);
        assertThat(set.pixelsPerImage()).isEqualTo(4);
        assertThat(last.labels()).containsExactly(5, 6);
        assertThat(last.pixels()).startsWith(1, 2, 3, 4);
        assertThat(scaled).containsExactly(0f, 0f, 0f, 1f, 0.2f, 0.4f);
    }

    @Test
    void findsGzippedFilesToo() throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve("g-images-idx3-ubyte.gz")))) {
            out.write(header(0x803, 1));
            out.write(new byte[] {9, 9, 9, 9});
        }
        write(dir.resolve("g-labels-idx1-ubyte"), 0x801, 1, new byte[] {1});

        assertThat(IdxDataset.read(dir, "g").pixels()).containsExactly(9, 9, 9, 9);
    }

    @Test
    void problemsNameTheFile() throws IOException {
        write(dir.resolve("a-images-idx3-ubyte"), 0x803, 2, new byte[8]);
        write(dir.resolve("a-labels-idx1-ubyte"), 0x801, 3, new byte[] {1, 2, 3});
        Files.write(dir.resolve("b-images-idx3-ubyte.gz"), new byte[] {1, 2, 3});
        write(dir.resolve("b-labels-idx1-ubyte"), 0x801, 1, new byte[] {1});

        assertThatThrownBy(() -> IdxDataset.read(dir, "a"))
                .isInstanceOf(IdxFormatException.class)
                .hasMessageContaining("a-labels-idx1-ubyte")
                .hasMessageContaining("3 labels for 2 images");
        assertThatThrownBy(() -> IdxDataset.read(dir, "b")).hasMessageContaining("not gzip data");
        assertThatThrownBy(() -> IdxDataset.read(dir, "c"))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("c-images-idx3-ubyte");
        assertThatThrownBy(() -> IdxDataset.test(dir.resolve("nowhere")))
                .hasMessageContaining("data directory does not exist");
    }

    /** An IDX file: magic, count, for images 2x2, then {@code data}. */
    private static void write(Path file, int magic, int count, byte[] data) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(header(magic, count));
            out.write(data);
        }
    }

    private static byte[] header(int magic, int count) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(magic == 0x803 ? 16 : 8);
        b.putInt(magic).putInt(count);
        if (magic == 0x803) {
            b.putInt(2).putInt(2);
        }
        return b.array();
    }
}
