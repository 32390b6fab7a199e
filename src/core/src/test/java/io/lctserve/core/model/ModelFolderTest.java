package io.lctserve.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lctserve.core.exit.ExitRule;
import io.lctserve.core.manifest.ManifestJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ModelFolderTest {

    @TempDir
    Path repo;

    @Test
    void loadsAValidFolder() throws Exception {
        Path folder = TinyStagedModel.write(repo);

        StagedModel model = ModelFolder.load(folder);

        assertThat(model.manifest().name()).isEqualTo("tiny");
        assertThat(model.manifest().labels()).containsExactly("cat", "dog");
        assertThat(model.manifest().exitCount()).isEqualTo(2);
        assertThat(model.stageGraph(1)).isEqualTo(folder.resolve("stage-1.onnx"));
        assertThat(model.manifest().presets().get("fast").thresholds()).containsExactly(0.7, 0.0);
        assertThat(model.parametersThroughExit(1)).isEqualTo(1 + 1 + 8); // two scales and one 4x2 head
    }

    @Test
    void manifestRoundTripsThroughJson() throws Exception {
        Path folder = TinyStagedModel.write(repo);
        var manifest = ModelFolder.load(folder).manifest();

        String json = ManifestJson.toJson(manifest);

        assertThat(ManifestJson.parse(json)).isEqualTo(manifest);
        assertThat(json.indexOf("\"format\"")).isLessThan(json.indexOf("\"stages\""));
    }

    @Test
    void presetsOfEveryRuleLoadAsTheirExitRuleAndMaxSoftmaxOnesKeepTheDesignDocShape() throws Exception {
        Path folder = TinyStagedModel.write(repo);
        Path file = folder.resolve(ModelFolder.MANIFEST_FILE);
        Files.writeString(
                file,
                Files.readString(file)
                        .replace(
                                "\"presets\" : {",
                                "\"presets\" : { \"fast-entropy\" : { \"rule\" : \"entropy\", \"entropy\" : [ 0.3, 0.69 ] },"
                                        + " \"fast-patience\" : { \"rule\" : \"patience\", \"patience\" : 2 },"));

        var manifest = ModelFolder.load(folder).manifest();

        assertThat(ExitRule.of(manifest.presets().get("fast-entropy")))
                .isEqualTo(new ExitRule.Entropy(new double[] {0.3, 0.69}));
        assertThat(ExitRule.of(manifest.presets().get("fast-patience"))).isEqualTo(new ExitRule.Patience(2));
        assertThat(ExitRule.of(manifest.presets().get("fast")))
                .isEqualTo(new ExitRule.MaxSoftmax(new double[] {0.7, 0.0}));
        String json = ManifestJson.toJson(manifest);
        assertThat(ManifestJson.parse(json)).isEqualTo(manifest);
        String fast = json.substring(json.indexOf("\"fast\" :"));
        assertThat(fast.substring(0, fast.indexOf('}'))).doesNotContain("rule").doesNotContain("patience");
    }

    @Test
    void entropyPresetsOfTheEarlierFormAreReadAsMeantAndWrittenInTodays() throws Exception {
        Path folder = TinyStagedModel.write(repo);
        Path file = folder.resolve(ModelFolder.MANIFEST_FILE);
        Files.writeString(
                file,
                Files.readString(file)
                        .replace(
                                "\"thresholds\" : [ 0.7, 0.0 ]",
                                "\"rule\" : \"entropy\", \"thresholds\" : [ 0.2, 0.69 ]"));

        var manifest = ModelFolder.load(folder).manifest();

        assertThat(ExitRule.of(manifest.presets().get("fast")))
                .isEqualTo(new ExitRule.Entropy(new double[] {0.2, 0.69}));
        assertThat(ManifestJson.toJson(manifest))
                .contains("\"entropy\" : [ 0.2, 0.69 ]")
                .doesNotContain("\"thresholds\"");
    }

    @Test
    void repositoryListsVersionFolders() throws Exception {
        Path folder = TinyStagedModel.write(repo);
        Files.createDirectories(repo.resolve("other/7"));

        assertThat(ModelRepository.versionFolders(repo)).containsExactly(repo.resolve("other/7"), folder);
    }

    @Test
    void aRepositoryAModelsVersionFoldersAndOneVersionsFilesAreEachFound() throws Exception {
        Path folder = TinyStagedModel.write(repo); // repo/tiny/1
        Files.createDirectories(repo.resolve(".staging/2"));
        assertThat(ModelRepository.entries(repo, "given"))
                .containsExactly(new ModelRepository.Entry("tiny", "1", folder, true));

        Path tiny = repo.resolve("tiny"); // as KServe leaves a model whose storage holds <version>/
        assertThat(ModelRepository.entries(tiny, "given"))
                .containsExactly(new ModelRepository.Entry("given", "1", folder, false));
        assertThat(ModelRepository.entries(tiny, null))
                .as("without a name given, the manifest's")
                .containsExactly(new ModelRepository.Entry("tiny", "1", folder, false));

        // as KServe leaves a model whose storage holds one version's files: the version is the manifest's
        assertThat(ModelRepository.entries(folder, "given"))
                .containsExactly(new ModelRepository.Entry("given", "1", folder, false));
    }

    @Test
    void aModelOutsideARepositoryIsLoadedWithoutItsFolderNames() throws Exception {
        Path folder = TinyStagedModel.write(repo);
        Path moved = Files.move(folder.getParent(), repo.resolve("mnt-models")).resolve("1");
        Path renamed = Files.move(moved, moved.resolveSibling("7"));

        assertThatThrownBy(() -> ModelFolder.load(renamed))
                .hasMessageContaining("does not match its folder \"mnt-models\"")
                .hasMessageContaining("does not match its folder \"7\"");
        assertThat(ModelFolder.loadUnnamed(renamed).manifest().name()).isEqualTo("tiny");
    }

    static Stream<Arguments> brokenFolders() {
        return Stream.of(
                broken(
                        "unknown format",
                        json -> json.replace("lctserve-staged/1", "lctserve-staged/9"),
                        "manifest.json",
                        "format",
                        "unknown format \"lctserve-staged/9\""),
                broken(
                        "name differs from its folder",
                        json -> json.replace("\"name\" : \"tiny\"", "\"name\" : \"huge\""),
                        "manifest.json",
                        "name",
                        "does not match its folder"),
                broken(
                        "unknown resize policy",
                        json -> json.replace(
                                "\"stages\" :",
                                "\"preprocess\" : {\"resize\" : \"stretch\", \"interpolation\" : \"bilinear\"},"
                                        + " \"stages\" :"),
                        "manifest.json",
                        "preprocess.resize",
                        "unknown resize policy \"stretch\", expected \"shorter-side-center-crop\""),
                broken(
                        "colour that does not fit the input's channels",
                        json -> json.replace(
                                "\"stages\" :",
                                "\"preprocess\" : {\"resize\" : \"shorter-side-center-crop\", \"interpolation\" :"
                                        + " \"nearest\", \"colour\" : \"rgb\"}, \"stages\" :"),
                        "manifest.json",
                        "preprocess.colour",
                        "\"rgb\" does not fit an input of 1 channel(s), expected \"grey\""),
                broken(
                        "missing stage graph",
                        json -> json.replace("\"stage-1.onnx\"", "\"stage-9.onnx\""),
                        "manifest.json",
                        "stages[1].graph",
                        "graph file \"stage-9.onnx\" is missing"),
                broken(
                        "stage chain broken",
                        json -> json.replace("\"input\" : \"h0\"", "\"input\" : \"h7\""),
                        "manifest.json",
                        "stages[1].input",
                        "expected \"h0\" (stages[0].output)"),
                broken(
                        "head reads the wrong stage",
                        json -> json.replaceFirst(
                                "\"graph\" : \"head-1.onnx\",\\s*\"input\" : \"h1\"",
                                "\"graph\" : \"head-1.onnx\", \"input\" : \"h0\""),
                        "manifest.json",
                        "stages[1].head.input",
                        "expected \"h1\""),
                broken(
                        "wrong label count",
                        json -> json.replace("\"dog\"", "\"dog\", \"bird\""),
                        "head-0.onnx",
                        "output \"logits0\"",
                        "does not match the 3 labels"),
                broken(
                        "duplicate label",
                        json -> json.replace("\"dog\"", "\"cat\""),
                        "manifest.json",
                        "labels[1]",
                        "duplicate label \"cat\""),
                broken(
                        "preset with too few thresholds",
                        json -> json.replace("[ 0.7, 0.0 ]", "[ 0.7 ]"),
                        "manifest.json",
                        "presets.fast.thresholds",
                        "needs one value per head (2), found 1"),
                broken(
                        "preset threshold above 1",
                        json -> json.replace("[ 0.7, 0.0 ]", "[ 0.7, 1.5 ]"),
                        "manifest.json",
                        "presets.fast.thresholds[1]",
                        "must be in [0, 1], was 1.5"),
                broken(
                        "unknown preset rule",
                        json -> json.replace(
                                "\"thresholds\" : [ 0.7, 0.0 ]", "\"rule\" : \"vibes\", \"thresholds\" : [ 0.7, 0.0 ]"),
                        "manifest.json",
                        "presets.fast.rule",
                        "unknown rule 'vibes'; use max_softmax, entropy or patience"),
                broken(
                        "negative entropy bound",
                        json -> json.replace(
                                "\"thresholds\" : [ 0.7, 0.0 ]", "\"rule\" : \"entropy\", \"entropy\" : [ -0.2, 2.3 ]"),
                        "manifest.json",
                        "presets.fast.entropy[0]",
                        "must be a number of nats >= 0, was -0.2"),
                broken(
                        "negative cost",
                        json -> json.replace("\"meanMacsFraction\" : 0.6", "\"meanMacsFraction\" : -0.6"),
                        "manifest.json",
                        "presets.fast.meanMacsFraction",
                        "must be a fraction >= 0 of the full model's MACs, was -0.6"),
                broken(
                        "patience beyond the head count",
                        json -> json.replace(
                                "\"thresholds\" : [ 0.7, 0.0 ]", "\"rule\" : \"patience\", \"patience\" : 3"),
                        "manifest.json",
                        "presets.fast.patience",
                        "needs how many consecutive heads must agree (1..2), was 3"),
                broken(
                        "patience preset with thresholds",
                        json -> json.replace(
                                "\"thresholds\" : [ 0.7, 0.0 ]",
                                "\"rule\" : \"patience\", \"patience\" : 2, \"thresholds\" : [ 0.7, 0.0 ]"),
                        "manifest.json",
                        "presets.fast.thresholds",
                        "rule patience takes no thresholds"),
                broken(
                        "evaluation per head count",
                        json -> json.replace("[ 0.9, 0.9 ]", "[ 0.9 ]"),
                        "manifest.json",
                        "evaluation.headAccuracy",
                        "one value per head (2), found 1"),
                broken(
                        "input datatype",
                        json -> json.replace("\"FP32\"", "\"FP16\""),
                        "manifest.json",
                        "input.datatype",
                        "must be \"FP32\""),
                broken(
                        "non-positive macs",
                        json -> json.replaceFirst("\"macs\" : 4", "\"macs\" : 0"),
                        "manifest.json",
                        "stages[0].macs",
                        "must be positive"),
                broken(
                        "unknown field",
                        json -> json.replace("\"stages\"", "\"stagez\""),
                        "manifest.json",
                        "stagez",
                        "malformed JSON"),
                broken(
                        "not JSON at all",
                        json -> json.substring(0, json.length() / 2),
                        "manifest.json",
                        "stages[1]",
                        "malformed JSON"),
                broken(
                        "declared input shape does not chain into stage-0",
                        json -> json.replace("\"shape\" : [ -1, 1, 2, 2 ]", "\"shape\" : [ -1, 1, 3, 3 ]"),
                        "stage-0.onnx",
                        "input \"input\"",
                        "does not chain from manifest.json input.shape"));
    }

    private static Arguments broken(String what, UnaryOperator<String> edit, String file, String field, String detail) {
        return Arguments.of(what, edit, file, field, detail);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenFolders")
    void rejectsBrokenFolderNamingFileAndField(
            String what, UnaryOperator<String> edit, String file, String field, String detail) throws Exception {
        Path folder = TinyStagedModel.write(repo);
        Path manifest = folder.resolve(ModelFolder.MANIFEST_FILE);
        String original = Files.readString(manifest);
        String edited = edit.apply(original);
        assertThat(edited).as("the edit must change the manifest").isNotEqualTo(original);
        Files.writeString(manifest, edited);

        assertThatThrownBy(() -> ModelFolder.load(folder))
                .isInstanceOf(InvalidModelException.class)
                .hasMessageStartingWith("model folder " + folder)
                .hasMessageContaining(file + " " + field + ": ")
                .hasMessageContaining(detail);
    }

    @Test
    void rejectsFolderWithoutManifest() throws IOException {
        Path folder = Files.createDirectories(repo.resolve("empty/1"));

        assertThatThrownBy(() -> ModelFolder.load(folder))
                .isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("manifest.json (file): missing");
    }

    @Test
    void rejectsGraphFileThatIsNotOnnx() throws Exception {
        Path folder = TinyStagedModel.write(repo);
        Files.writeString(folder.resolve("head-1.onnx"), "not a protobuf \u0000\u0001\u00ff");

        assertThatThrownBy(() -> ModelFolder.load(folder))
                .isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("head-1.onnx (file): not a readable ONNX model");
    }

    @Test
    void reportsEveryProblemAtOnce() throws Exception {
        Path folder = TinyStagedModel.write(repo);
        Path manifest = folder.resolve(ModelFolder.MANIFEST_FILE);
        Files.writeString(
                manifest,
                Files.readString(manifest).replace("lctserve-staged/1", "v0").replace("[ 0.7, 0.0 ]", "[ 0.7, -1 ]"));

        assertThatThrownBy(() -> ModelFolder.load(folder))
                .isInstanceOfSatisfying(InvalidModelException.class, e -> assertThat(e.problems())
                        .extracting(InvalidModelException.Problem::field)
                        .containsExactly("format", "presets.fast.thresholds[1]"));
    }
}
