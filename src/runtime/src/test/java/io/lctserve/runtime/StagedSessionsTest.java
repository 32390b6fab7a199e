package io.lctserve.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lctserve.core.data.ImageSet;
import io.lctserve.core.model.ModelFolder;
import io.lctserve.core.model.StagedModel;
import io.lctserve.core.model.TinyStagedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StagedSessionsTest {

    @TempDir
    Path root;

    @Test
    void anImageSetGoesThroughEveryHeadInBatches() throws Exception {
        int images = 300; // more than one bulk batch
        byte[] pixels = new byte[images * 4];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 7);
        }
        ImageSet set = new ImageSet(pixels, new int[images], 2, 2);

        try (StagedSessions sessions = ThreeHeadModel.open(root)) {
            float[][] logits = sessions.allHeadLogits(set);

            assertThat(logits[0]).hasSize(images * 2);
            int last = images - 1;
            float[] one = new float[4];
            set.copyScaled(last, one, 0);
            float[][] alone = sessions.allHeadLogits(one, new long[] {1, 1, 2, 2});
            for (int k = 0; k < 3; k++) {
                assertThat(logits[k][last * 2]).isEqualTo(alone[k][0]);
                assertThat(logits[k][last * 2 + 1]).isEqualTo(alone[k][1]);
            }
            assertThat(sessions.cost().fullModel())
                    .isEqualTo(3 * TinyStagedModel.STAGE_MACS + TinyStagedModel.HEAD_MACS);
        }
    }

    @Test
    void aGraphWhoseTensorsAreNotTheManifestsIsRefusedAtOpen() throws Exception {
        Path folder = TinyStagedModel.write(root);
        StagedModel valid = ModelFolder.load(folder);
        // swap in a head whose input is named differently, after validation (a file changed on disk)
        Path other = TinyStagedModel.write(
                root.resolve("other"), "tiny", new float[] {1}, new float[][] {TinyStagedModel.WEIGHTS});
        Files.copy(
                other.resolve("stage-0.onnx"),
                folder.resolve("stage-1.onnx"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        assertThatThrownBy(() -> StagedSessions.open(valid, new SessionSettings(1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("stage-1.onnx")
                .hasMessageContaining("the manifest says h0 -> h1");
    }

    @Test
    void negativeThreadCountsAreRefused() {
        assertThatThrownBy(() -> new SessionSettings(-1)).hasMessageContaining(">= 0");
    }
}
