package io.lctserve.server.inference;

import io.lctserve.server.model.LiveAgreement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a request's {@code max_disagreement} was met. The server answers with the cheapest preset
 * (by its calibrated mean MACs) whose live-verified share of answers differing from the last head
 * has a 95 % upper bound at or below the request's, over at least {@link LiveAgreement#MINIMUM}
 * verified samples; with none such, the evidence is too thin and the last head answers. A share of
 * contract requests (the verification fraction), and every one while the evidence is thin, is
 * answered by the last head with every head run on the way ({@code explores}): its answer is the full
 * model's, and what each preset would have answered on it is counted in the preset's live window, so
 * the evidence of every preset, the cheaper ones included, stays current without any preset's
 * answer being sent.
 *
 * @param maxDisagreement what the request allowed
 * @param preset the preset that answers, or null when the last head does
 * @param live that preset's live numbers when chosen, null otherwise
 * @param explores every head runs and every preset's would-be answer is counted
 * @param why when the last head answers: why no preset did
 */
public record Contract(
        double maxDisagreement, String preset, LiveAgreement.Snapshot live, boolean explores, String why) {

    static final String THIN = "no preset's live-verified share is within it yet";
    static final String SAMPLE = "a sample of contract traffic, every head run to keep each preset's evidence current";

    /** What the answer's parameters say about it: which setting served it and the estimate behind it. */
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put(Knob.MAX_DISAGREEMENT, maxDisagreement);
        p.put("served_by", preset != null ? "preset:" + preset : "last_head");
        if (live != null) {
            p.put("live_disagreement", live.disagreement());
            p.put("live_upper", live.upper());
            p.put("live_window", live.window());
        } else {
            p.put("why", why);
        }
        return p;
    }
}
