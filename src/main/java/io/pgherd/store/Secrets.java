package io.pgherd.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Optional;

/**
 * A home's secrets ({@link Home#secretsDir}: secrets/NAME/, directory 0700, files 0600): the
 * passwords generated for a cluster on first use, and the files kept with them (TLS keys and
 * certificates).
 */
public final class Secrets {
  private static final String PW_ALPHABET =
      "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

  private final Home home;

  Secrets(Home home) {
    this.home = home;
  }

  /** The cluster's password for {@code name}, generated (and stored 0600) on first use. */
  public synchronized String secret(String cluster, String name) {
    Path dir = home.secretsDir(cluster);
    Path file = dir.resolve(name);
    try {
      if (Files.exists(file)) {
        return Files.readString(file, StandardCharsets.UTF_8).strip();
      }
      home.createRoot();
      createPrivateDir(home.root().resolve("secrets"));
      createPrivateDir(dir);
      SecureRandom random = new SecureRandom();
      StringBuilder pw = new StringBuilder();
      for (int i = 0; i < 32; i++) {
        pw.append(PW_ALPHABET.charAt(random.nextInt(PW_ALPHABET.length())));
      }
      Home.writeAtomically(file, pw.toString().getBytes(StandardCharsets.UTF_8), true);
      home.durableWritten();
      return pw.toString();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create secret " + file, e);
    }
  }

  /** A file stored with the cluster's secrets (0600), e.g. its TLS keys and certificates. */
  public Optional<String> readSecretFile(String cluster, String name) {
    return Home.readString(home.secretsDir(cluster).resolve(name));
  }

  public synchronized void writeSecretFile(String cluster, String name, String content) {
    try {
      home.createRoot();
      createPrivateDir(home.root().resolve("secrets"));
      createPrivateDir(home.secretsDir(cluster));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + home.secretsDir(cluster), e);
    }
    Home.writeAtomically(home.secretsDir(cluster).resolve(name), content.getBytes(StandardCharsets.UTF_8), true);
    home.durableWritten();
  }

  public void deleteSecretFile(String cluster, String name) {
    try {
      Files.deleteIfExists(home.secretsDir(cluster).resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + home.secretsDir(cluster).resolve(name), e);
    }
  }

  public boolean hasSecrets(String cluster) {
    return Files.isDirectory(home.secretsDir(cluster));
  }

  private static void createPrivateDir(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir.getParent());
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
  }
}
