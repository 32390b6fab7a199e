package io.lctserve.server.grpc;

import io.grpc.Codec;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;

/**
 * gRPC's {@code deflate} message encoding (zlib, as gRPC core writes it), which Triton's clients
 * offer beside gzip ({@code compression_algorithm='deflate'}); grpc-java itself knows only gzip.
 */
final class DeflateCodec implements Codec {

    @Override
    public String getMessageEncoding() {
        return "deflate";
    }

    @Override
    public InputStream decompress(InputStream is) {
        return new InflaterInputStream(is);
    }

    @Override
    public OutputStream compress(OutputStream os) {
        return new DeflaterOutputStream(os);
    }
}
