package io.pgherd.backup;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import io.pgherd.api.Compression;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** The streams of a {@link Compression}: zstd level 1, gzip level 1, or none. */
public final class CompressionStreams {
  private CompressionStreams() {}

  public static OutputStream compress(Compression compression, OutputStream out) throws IOException {
    return switch (compression) {
      case ZSTD -> new ZstdOutputStream(out, 1);
      case GZIP -> new GZIPOutputStream(out, 1 << 16) {
        {
          def.setLevel(1);
        }
      };
      case NONE -> new java.io.FilterOutputStream(out) {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
        }
      };
    };
  }

  public static InputStream decompress(Compression compression, InputStream in) throws IOException {
    return switch (compression) {
      case ZSTD -> new ZstdInputStream(in);
      case GZIP -> new GZIPInputStream(in, 1 << 16);
      case NONE -> in;
    };
  }
}
