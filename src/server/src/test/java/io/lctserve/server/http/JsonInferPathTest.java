package io.lctserve.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;

/**
 * Which way an infer call goes: a unary JSON body is answered by the filter before Spring MVC's
 * dispatch (no handler chosen), everything else by the controller. That both ways answer alike is
 * {@code JsonInferFilterTest}'s part, over a real server.
 */
@InferenceSlice
class JsonInferPathTest {

    private static final String INFER = "/v2/models/fashion-mnist/infer";

    @Autowired
    MockMvc mvc;

    private MvcResult send(String contentType, String accept) throws Exception {
        var request = post(INFER).contentType(contentType).content(ErrorResponsesTest.valid("{\"preset\":\"fast\"}"));
        return mvc.perform(accept == null ? request : request.header("Accept", accept))
                .andReturn();
    }

    @Test
    void aJsonBodyIsAnsweredBeforeTheDispatch() throws Exception {
        for (String accept : new String[] {null, "application/json", "*/*", "text/html;q=0.9, application/*"}) {
            MvcResult r = send("application/json", accept);
            assertThat(r.getResponse().getStatus()).as(accept).isEqualTo(200);
            assertThat(r.getResponse().getContentType()).as(accept).isEqualTo("application/json");
            assertThat(r.getHandler()).as(accept).isNull();
        }
        assertThat(send("application/json;charset=UTF-8", null).getHandler()).isNull();
    }

    @Test
    void otherBodiesAndAcceptsGoToTheController() throws Exception {
        MvcResult latin = send("application/json;charset=US-ASCII", null);
        assertThat(latin.getResponse().getStatus()).isEqualTo(200);
        assertThat(latin.getHandler()).isNotNull();

        // no handler produces HTML: the dispatch refuses it, as before the filter
        MvcResult html = send("application/json", "text/html");
        assertThat(html.getResponse().getStatus()).isEqualTo(406);
        assertThat(html.getResponse().getContentAsString()).contains("responses are application/json");
    }
}
