package io.lctserve.server.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a raw socket, so that nothing cleans a request up before the server sees it: the
 * bytes go out as given, and the answer is read until the server closes the connection.
 */
final class RawHttp {

    /** An answer: status, headers (lower-case names), body (de-chunked). Status 0: none came. */
    record Raw(int status, Map<String, String> headers, String body) {}

    private RawHttp() {}

    static Raw exchange(int port, String request) throws IOException {
        return exchange(port, request.getBytes(StandardCharsets.ISO_8859_1), 10_000);
    }

    /** Sends {@code request} and reads the answer; a server silent for {@code waitMillis} gives status 0. */
    static Raw exchange(int port, byte[] request, int waitMillis) throws IOException {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(waitMillis);
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    all.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                if (all.size() == 0) {
                    return new Raw(0, Map.of(), "");
                }
            }
            return parse(all.toString(StandardCharsets.ISO_8859_1)); // one char per byte, for chunk sizes
        }
    }

    private static Raw parse(String text) {
        int split = text.indexOf("\r\n\r\n");
        if (split < 0 || !text.startsWith("HTTP/1.1 ")) {
            throw new IllegalStateException("not an HTTP/1.1 answer: " + text);
        }
        String[] head = text.substring(0, split).split("\r\n");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < head.length; i++) {
            int colon = head[i].indexOf(':');
            headers.put(
                    head[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                    head[i].substring(colon + 1).trim());
        }
        String body = text.substring(split + 4);
        if ("chunked".equals(headers.get("transfer-encoding"))) {
            try {
                body = unchunk(body);
            } catch (RuntimeException e) {
                throw new IllegalStateException("a chunked answer cut short: " + text);
            }
        }
        return new Raw(
                Integer.parseInt(head[0].split(" ")[1]),
                headers,
                new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
    }

    private static String unchunk(String body) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (true) {
            int eol = body.indexOf("\r\n", at);
            int size = Integer.parseInt(body.substring(at, eol).trim(), 16);
            if (size == 0) {
                return out.toString();
            }
            out.append(body, eol + 2, eol + 2 + size);
            at = eol + 2 + size + 2;
        }
    }

    /** {@code body} in the chunked transfer coding, in chunks of {@code size} bytes, with its final chunk. */
    static String chunked(String body, int size) {
        StringBuilder out = new StringBuilder();
        for (int at = 0; at < body.length(); at += size) {
            String chunk = body.substring(at, Math.min(body.length(), at + size));
            out.append(Integer.toHexString(chunk.length()))
                    .append("\r\n")
                    .append(chunk)
                    .append("\r\n");
        }
        return out.append("0\r\n\r\n").toString();
    }
}
