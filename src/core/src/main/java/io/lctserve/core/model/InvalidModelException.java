package io.lctserve.core.model;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A model folder that cannot be served. The message names the folder and, for each problem, the
 * file and the field at fault, e.g. {@code model folder models/fm/1: manifest.json
 * stages[1].input: expected "h0" (stages[0].output) but was "x"}.
 */
public class InvalidModelException extends Exception {

    private final transient Path folder;
    private final List<Problem> problems;

    public InvalidModelException(Path folder, List<Problem> problems) {
        super(message(folder, problems));
        this.folder = folder;
        this.problems = List.copyOf(problems);
    }

    public Path folder() {
        return folder;
    }

    public List<Problem> problems() {
        return problems;
    }

    private static String message(Path folder, List<Problem> problems) {
        return "model folder " + folder + ": "
                + problems.stream().map(Problem::toString).collect(Collectors.joining("; "));
    }

    /**
     * One thing wrong with a model folder.
     *
     * @param file the file at fault, relative to the model folder
     * @param field the field (JSON path in the manifest, or graph input/output) at fault
     * @param detail what is wrong
     */
    public record Problem(String file, String field, String detail) {
        @Override
        public String toString() {
            return file + " " + field + ": " + detail;
        }
    }
}
