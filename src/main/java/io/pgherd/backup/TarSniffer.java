package io.pgherd.backup;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** Picks one member's bytes out of a tar stream as it passes (ustar headers, 512-byte blocks). */
final class TarSniffer {
  private final Set<String> wanted;
  private final ByteArrayOutputStream header = new ByteArrayOutputStream(512);
  private ByteArrayOutputStream capture;
  private String capturing;
  private final Map<String, byte[]> found = new HashMap<>();
  private long dataLeft; // bytes of the current member's data still to come
  private long padLeft; // padding after it
  private boolean done;

  TarSniffer(String... wanted) {
    this.wanted = Set.of(wanted);
  }

  void accept(byte[] buf, int n) {
    int i = 0;
    while (i < n && !done) {
      if (dataLeft > 0) {
        int k = (int) Math.min(dataLeft, n - i);
        if (capture != null) {
          capture.write(buf, i, k);
        }
        dataLeft -= k;
        i += k;
        if (dataLeft == 0 && capture != null) {
          found.put(capturing, capture.toByteArray());
          capture = null;
        }
      } else if (padLeft > 0) {
        int k = (int) Math.min(padLeft, n - i);
        padLeft -= k;
        i += k;
      } else {
        int k = Math.min(512 - header.size(), n - i);
        header.write(buf, i, k);
        i += k;
        if (header.size() == 512) {
          parseHeader(header.toByteArray());
          header.reset();
        }
      }
    }
  }

  private void parseHeader(byte[] h) {
    boolean zero = true;
    for (byte b : h) {
      if (b != 0) {
        zero = false;
        break;
      }
    }
    if (zero) {
      return; // end-of-archive blocks
    }
    String name = field(h, 0, 100);
    String octal = field(h, 124, 12).trim();
    long size = octal.isEmpty() ? 0 : Long.parseLong(octal, 8);
    dataLeft = size;
    padLeft = (512 - size % 512) % 512;
    String base = name.substring(name.lastIndexOf('/') + 1);
    capturing = wanted.contains(base) ? base : null;
    capture = capturing != null ? new ByteArrayOutputStream((int) Math.min(size, 1 << 24)) : null;
    if (capture != null && size == 0) {
      found.put(capturing, new byte[0]);
      capture = null;
    }
  }

  private static String field(byte[] h, int off, int len) {
    int end = off;
    while (end < off + len && h[end] != 0) {
      end++;
    }
    return new String(h, off, end - off, StandardCharsets.US_ASCII);
  }

  java.util.Optional<byte[]> found(String name) {
    return java.util.Optional.ofNullable(found.get(name));
  }
}
