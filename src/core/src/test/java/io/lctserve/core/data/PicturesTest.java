package io.lctserve.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PicturesTest {

    @TempDir
    Path dir;

    private static BufferedImage grey(int w, int h, int start) {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        byte[] data = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (start + i);
        }
        return image;
    }

    @Test
    void aPictureOfTheInputsSizeIsTakenByteForByteWithoutColourManagement() throws Exception {
        BufferedImage image = grey(10, 10, 28);
        Path file = dir.resolve("g.png");
        ImageFolders.save(image, file);

        byte[] input = Pictures.toInput(Pictures.decode(file, 1_000), 1, 10, 10);

        // ImageIO's getRGB on a grey PNG would pass the values through a gamma curve; the file's values stay
        assertThat(input).isEqualTo(((DataBufferByte) image.getRaster().getDataBuffer()).getData());
        assertThat(Pictures.header(file)).isEqualTo(new Pictures.Header(10, 10, true));
    }

    @Test
    void colourBecomesRgbPlanesOrPilsLuminance() throws Exception {
        BufferedImage image = new BufferedImage(4, 2, BufferedImage.TYPE_INT_RGB);
        image.setRGB(1, 1, 200 << 16 | 100 << 8 | 50);
        Path file = dir.resolve("c.png");
        ImageFolders.save(image, file);
        BufferedImage read = Pictures.decode(file, 1_000);

        byte[] rgb = Pictures.toInput(read, 3, 2, 4);
        byte[] grey = Pictures.toInput(read, 1, 2, 4);

        int at = 4 + 1;
        assertThat(new int[] {rgb[at] & 0xFF, rgb[8 + at] & 0xFF, rgb[16 + at] & 0xFF})
                .containsExactly(200, 100, 50);
        assertThat(grey[at] & 0xFF).isEqualTo((200 * 19595 + 100 * 38470 + 50 * 7471 + 0x8000) >> 16);
        assertThat(Pictures.header(file).grey()).isFalse();
        assertThat(Pictures.isGrey(read)).isFalse();
    }

    @Test
    void aGreyPictureFeedsAnRgbModelInAllThreePlanes() {
        byte[] input = Pictures.toInput(grey(3, 3, 5), 3, 3, 3);
        assertThat(Arrays.copyOfRange(input, 0, 9))
                .isEqualTo(Arrays.copyOfRange(input, 9, 18))
                .isEqualTo(Arrays.copyOfRange(input, 18, 27));
    }

    @Test
    void aPaletteOfGreysIsGrey() {
        byte[] levels = {0, 64, (byte) 128, (byte) 255};
        IndexColorModel palette = new IndexColorModel(2, 4, levels, levels, levels);
        BufferedImage image = new BufferedImage(2, 2, BufferedImage.TYPE_BYTE_BINARY, palette);
        image.getRaster().setSample(1, 0, 0, 2);

        assertThat(Pictures.isGrey(image)).isTrue();
        assertThat(Pictures.toInput(image, 1, 2, 2)).containsExactly(0, (byte) 128, 0, 0);
    }

    @Test
    void anotherSizeIsScaledToCoverThenCutFromTheCentre() {
        // 8 wide, 4 high, each column its own value: to 4x4 the height already fits, so scaling halves
        // the width and the centre keeps every column pair's average
        BufferedImage wide = new BufferedImage(8, 4, BufferedImage.TYPE_BYTE_GRAY);
        for (int x = 0; x < 8; x++) {
            for (int y = 0; y < 4; y++) {
                wide.getRaster().setSample(x, y, 0, x * 30);
            }
        }
        byte[] square = Pictures.toInput(wide, 1, 2, 2);
        // 8x4 covers 2x2 at scale 0.5 -> 4x2 (columns averaged in pairs: 15, 75, 135, 195), centre 2 columns
        assertThat(square).containsExactly(75, (byte) 135, 75, (byte) 135);

        byte[] crop = Pictures.toInput(wide, 1, 4, 4);
        // already 4 high: no scaling, the centre 4 of 8 columns
        assertThat(crop).startsWith(60, 90, (byte) 120, (byte) (150));
    }

    @Test
    void aBigReductionAveragesEveryPixelInsteadOfSkippingSome() {
        // a fine checkerboard of 0 and 200 halved four times: every output pixel is the average, 100
        BufferedImage board = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                board.getRaster().setSample(x, y, 0, (x + y) % 2 == 0 ? 0 : 200);
            }
        }
        for (byte b : Pictures.toInput(board, 1, 4, 4)) {
            assertThat(b & 0xFF).isEqualTo(100);
        }
    }

    @Test
    void badFilesAreNamedWithWhatIsWrong() throws Exception {
        Path text = dir.resolve("notes.png");
        Files.writeString(text, "not a picture");
        assertThatThrownBy(() -> Pictures.decode(text, 1_000))
                .isInstanceOf(PictureException.class)
                .hasMessage(text + " is not a PNG or JPEG image")
                .extracting(e -> ((PictureException) e).reason())
                .isEqualTo(PictureException.Reason.NOT_AN_IMAGE);

        Path png = dir.resolve("g.png");
        ImageFolders.save(grey(20, 20, 0), png);
        Path truncated = dir.resolve("cut.png");
        byte[] bytes = Files.readAllBytes(png);
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length / 2));
        assertThatThrownBy(() -> Pictures.decode(truncated, 1_000))
                .hasMessageStartingWith(truncated + " is not a readable PNG or JPEG image")
                .extracting(e -> ((PictureException) e).reason())
                .isEqualTo(PictureException.Reason.DAMAGED);

        assertThatThrownBy(() -> Pictures.decode(png, 100))
                .hasMessage(png + " is 20x20 pixels, more than the limit of 100")
                .extracting(e -> ((PictureException) e).reason())
                .isEqualTo(PictureException.Reason.TOO_LARGE);
        assertThatThrownBy(() -> Pictures.header(dir.resolve("missing.png")))
                .hasMessageContaining("missing.png: cannot be read");
        assertThatThrownBy(() -> Pictures.toInput(grey(2, 2, 0), 2, 2, 2))
                .hasMessage("pictures feed 1 or 3 channels, not 2");
    }

    @Test
    void uploadsAreDecodedFromBytesAndHugeOnesSubsampled() throws Exception {
        Path png = dir.resolve("big.png");
        ImageFolders.save(grey(2100, 10, 0), png);

        BufferedImage read = Pictures.decode(Files.readAllBytes(png), 1L << 30);

        assertThat(read.getWidth()).isEqualTo(700); // every third pixel: at most DECODE_SIDE on a side
        assertThatThrownBy(() -> Pictures.decode(new byte[] {1, 2, 3}, 100))
                .hasMessage("the upload is not a PNG or JPEG image");
    }
}
