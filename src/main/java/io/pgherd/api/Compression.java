package io.pgherd.api;

import java.util.Locale;

/**
 * How a base backup's tar is compressed ({@code spec.backup.compression}). zstd level 1 is the
 * default: on PostgreSQL data it compresses about 4× faster than gzip -1 (≈900 MB/s on one core
 * here) to a smaller result, so compressing never limits a backup; gzip is there for tools that
 * only know gzip; none for data that does not compress. The streams themselves are made by
 * {@code io.pgherd.backup.CompressionStreams}.
 */
public enum Compression {
  ZSTD(".zst"),
  GZIP(".gz"),
  NONE("");

  private final String suffix;

  Compression(String suffix) {
    this.suffix = suffix;
  }

  /** The stored name of a base backup's tar: base.tar.zst, base.tar.gz or base.tar. */
  public String tarName() {
    return "base.tar" + suffix;
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Compression parse(String s) {
    for (Compression c : values()) {
      if (c.label().equals(s)) {
        return c;
      }
    }
    throw new IllegalArgumentException("unknown compression '" + s + "' (zstd, gzip or none)");
  }
}
