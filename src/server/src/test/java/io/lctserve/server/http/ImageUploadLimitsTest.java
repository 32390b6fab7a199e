package io.lctserve.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.mock.web.MockMultipartFile;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;

/**
 * Uploads that would make the decoder allocate far more than they weigh are refused from their
 * header, before any pixel is decoded; large images within the limit are decoded subsampled.
 */
@InferenceSlice
class ImageUploadLimitsTest {

    private static final String CLASSIFY = "/v1/models/fashion-mnist/classify";

    @Autowired
    MockMvc mvc;

    /** A PNG of a signature, an IHDR chunk declaring {@code width x height} grey pixels, and whatever follows. */
    static byte[] pngHeader(int width, int height, boolean withEnd) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(ihdr);
        d.writeInt(width);
        d.writeInt(height);
        d.write(new byte[] {8, 0, 0, 0, 0}); // 8-bit grey, deflate, no filter, no interlace
        chunk(bytes, "IHDR", ihdr.toByteArray());
        if (withEnd) {
            chunk(bytes, "IEND", new byte[0]);
        }
        return bytes.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(data.length);
        byte[] typeBytes = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        d.write(typeBytes);
        d.write(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        d.writeInt((int) crc.getValue());
    }

    private static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private MvcResult upload(byte[] image) throws Exception {
        return mvc.perform(multipart(CLASSIFY).file(new MockMultipartFile("image", "x.png", "image/png", image)))
                .andReturn();
    }

    @Test
    void anImageWhoseHeaderDeclaresTooManyPixelsIs413BeforeDecoding() throws Exception {
        byte[] bomb = pngHeader(30_000, 30_000, true);
        assertThat(bomb).hasSizeLessThan(100);

        mvc.perform(multipart(CLASSIFY).file(new MockMultipartFile("image", "x.png", "image/png", bomb)))
                .andExpect(status().isPayloadTooLarge())
                .andExpect(jsonPath("$.error")
                        .value("the upload is 30000x30000 pixels, more than the limit of 16777216"
                                + " (lctserve.max-image-pixels)"));
    }

    @Test
    void aRealImageOverThePixelLimitIsRefusedThoughItCompressesToLittle() throws Exception {
        byte[] blank = png(new BufferedImage(5000, 4000, BufferedImage.TYPE_BYTE_GRAY)); // 20 M pixels
        assertThat(blank.length).isLessThan(200_000);

        assertThat(upload(blank).getResponse().getStatus()).isEqualTo(413);
    }

    @Test
    void aHeaderWithoutPixelDataIsAnsweredAtOnceAsUnreadable() throws Exception {
        mvc.perform(multipart(CLASSIFY)
                        .file(new MockMultipartFile("image", "x.png", "image/png", pngHeader(2000, 2000, false))))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error")
                        .value(org.hamcrest.Matchers.startsWith("the upload is not a readable PNG or JPEG image")));
    }

    @Test
    void aLargeImageWithinTheLimitIsDecodedSubsampledAndAnswered() throws Exception {
        BufferedImage big = new BufferedImage(3000, 3000, BufferedImage.TYPE_BYTE_GRAY);
        java.awt.Graphics2D g = big.createGraphics();
        g.fillRect(1000, 500, 1000, 2000); // a light bar on black: trousers, more or less
        g.dispose();

        MvcResult r = upload(png(big));

        assertThat(r.getResponse().getStatus())
                .as(r.getResponse().getContentAsString())
                .isEqualTo(200);
    }

    @Test
    void formatsOtherThanPngAndJpegAreRefused() throws Exception {
        ByteArrayOutputStream bmp = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB), "bmp", bmp);

        mvc.perform(multipart(CLASSIFY).file(new MockMultipartFile("image", "x.bmp", "image/bmp", bmp.toByteArray())))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("the upload is not a PNG or JPEG image"));
    }
}
