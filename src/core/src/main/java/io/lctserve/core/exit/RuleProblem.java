package io.lctserve.core.exit;

/**
 * Something wrong with an exit rule's manifest form.
 *
 * @param field the preset's field at fault, e.g. {@code thresholds[1]}
 * @param detail what is wrong
 */
public record RuleProblem(String field, String detail) {}
