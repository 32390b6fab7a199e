package io.lctserve.server.http.edge;

import java.util.Collection;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.exc.MismatchedInputException;

/**
 * What is wrong with JSON that could not be read, said in JSON's terms (where in the document,
 * what kind of value was expected, line and column) and never with the Java types it was to become.
 */
public final class JsonProblem {

    private JsonProblem() {}

    /** The problem, e.g. "malformed request: inputs[0].shape must be a JSON array". */
    public static String describe(JacksonException e) {
        if (e instanceof MismatchedInputException mismatch
                && !mismatch.getPath().isEmpty()) {
            return "malformed request: " + path(mismatch.getPath()) + " must be " + kind(mismatch.getTargetType());
        }
        if (e instanceof DatabindException databind && !databind.getPath().isEmpty()) {
            return "malformed request: " + path(databind.getPath()) + " cannot be read";
        }
        String what = firstLine(e.getOriginalMessage());
        boolean safe = e instanceof StreamReadException
                && !what.contains("java.")
                && !what.contains("io.lctserve")
                && !what.contains("`");
        TokenStreamLocation at = e.getLocation();
        return "malformed JSON request body" + (safe ? ": " + what : "")
                + (at == null || at.getLineNr() < 0
                        ? ""
                        : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")");
    }

    private static String path(List<JacksonException.Reference> path) {
        StringBuilder sb = new StringBuilder();
        for (JacksonException.Reference r : path) {
            if (r.getPropertyName() != null) {
                sb.append(sb.isEmpty() ? "" : ".").append(r.getPropertyName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.isEmpty() ? "the body" : sb.toString();
    }

    private static String kind(Class<?> type) {
        if (type == null) {
            return "of another JSON type";
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "a JSON array";
        }
        if (CharSequence.class.isAssignableFrom(type)) {
            return "a JSON string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
            return "a JSON number";
        }
        return "a JSON object";
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
