package io.pgherd.agent;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Files the operator delivers through the API ({@code PUT /v1/files}) instead of the engine's
 * archive copy: configuration, certificates, keys, the agent's settings — only under
 * {@code /etc/pgherd} (and, in the load balancer, HAProxy's configuration directory). Each is written beside its final name and renamed over it (a reader never
 * sees half a file), with the mode asked for; the agent's user (postgres) owns it.
 *
 * <p>The body: for each file a header line {@code <path> <octal mode> <length>\n}, then exactly
 * {@code length} bytes, then {@code \n}. Nothing is written unless the whole body parses.
 */
final class FileDrop {
  /** A body larger than this is refused: configuration files are kilobytes. */
  static final int MAX_BODY = 4 << 20;

  record Item(Path path, Set<PosixFilePermission> mode, byte[] content) {}

  private final List<Path> roots;

  FileDrop(Path root) {
    this(List.of(root));
  }

  /** Files under any of {@code roots} (the load balancer's agent: /etc/pgherd and HAProxy's configuration directory). */
  FileDrop(List<Path> roots) {
    this.roots = roots.stream().map(r -> r.toAbsolutePath().normalize()).toList();
  }

  /**
   * The SHA-256 (hex) of every regular file under the roots ({@code GET /v1/files}): what the
   * operator compares with the files it renders, instead of reading them back through the engine.
   * The password files (a {@code secrets} directory) are left out: the operator never compares them.
   */
  Map<String, String> hashes() throws IOException {
    Map<String, String> out = new java.util.TreeMap<>();
    for (Path root : roots) {
      if (!Files.isDirectory(root)) {
        continue;
      }
      List<Path> files;
      try (var walk = Files.walk(root, 4)) {
        files = walk.filter(Files::isRegularFile).filter(p -> !p.toString().contains("/secrets/"))
            .filter(p -> !p.getFileName().toString().startsWith(".")).toList();
      }
      for (Path f : files) {
        try {
          out.put(f.toString(), java.util.HexFormat.of().formatHex(
              java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f))));
        } catch (java.nio.file.NoSuchFileException | java.nio.file.AccessDeniedException e) {
          // replaced while listed (listed next time), or not the agent's to read (not listed: delivered again)
        } catch (java.security.NoSuchAlgorithmException e) {
          throw new IllegalStateException("SHA-256 missing from this JVM", e);
        }
      }
    }
    return out;
  }

  /** Parses the whole body first; refuses a path outside the root, a bad mode or a short body. */
  List<Item> parse(InputStream body) throws IOException {
    byte[] all = body.readNBytes(MAX_BODY + 1);
    if (all.length > MAX_BODY) {
      throw new IllegalArgumentException("more than " + MAX_BODY + " bytes of files");
    }
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(all));
    Map<Path, Item> items = new LinkedHashMap<>();
    while (true) {
      String header = line(in);
      if (header == null) {
        break;
      }
      String[] f = header.split(" ");
      if (f.length != 3 || !f[1].matches("0?[0-7]{3}") || !f[2].matches("\\d{1,9}")) {
        throw new IllegalArgumentException("not '<path> <octal mode> <length>': " + header);
      }
      Path path = Path.of(f[0]).toAbsolutePath().normalize();
      if (roots.stream().noneMatch(root -> path.startsWith(root) && !path.equals(root))) {
        throw new IllegalArgumentException(f[0] + " is not under " + String.join(" or ",
            roots.stream().map(Path::toString).toList()));
      }
      byte[] content = new byte[Integer.parseInt(f[2])];
      try {
        in.readFully(content);
      } catch (EOFException e) {
        throw new IllegalArgumentException(f[0] + ": the body ends before its " + content.length + " bytes");
      }
      if (in.read() != '\n') {
        throw new IllegalArgumentException(f[0] + ": no newline after its " + content.length + " bytes");
      }
      items.put(path, new Item(path, permissions(Integer.parseInt(f[1], 8)), content));
    }
    return new ArrayList<>(items.values());
  }

  /** Writes every item: beside its final name first, then renamed over it. */
  void write(List<Item> items) throws IOException {
    for (Item item : items) {
      Path dir = item.path().getParent();
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
      }
      Path tmp = dir.resolve("." + item.path().getFileName() + ".pgherd-new");
      Files.deleteIfExists(tmp);
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.write(tmp, item.content());
      Files.setPosixFilePermissions(tmp, item.mode());
      Files.move(tmp, item.path(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static String line(DataInputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      b.append((char) c);
      if (b.length() > 4096) {
        throw new IllegalArgumentException("a header line longer than 4096 bytes");
      }
    }
    if (c < 0 && b.length() == 0) {
      return null;
    }
    return new String(b.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
  }

  static Set<PosixFilePermission> permissions(int mode) {
    StringBuilder s = new StringBuilder();
    String rwx = "rwx";
    for (int shift = 6; shift >= 0; shift -= 3) {
      for (int bit = 0; bit < 3; bit++) {
        s.append((mode >> (shift + 2 - bit) & 1) == 1 ? rwx.charAt(bit) : '-');
      }
    }
    return PosixFilePermissions.fromString(s.toString());
  }
}
