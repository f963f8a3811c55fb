package io.pgherd.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals a {@link HomeSnapshot} for keeping where others can read it (a Swarm config is readable by
 * anyone with the manager's API): AES-256-GCM under a key derived from the operator's key file (on
 * a Swarm, the Swarm secret {@code pgherd-operator-key}, which only the operator's service mounts).
 * Sealed: {@code "PGH1"}, a 12-byte nonce, the ciphertext with its tag; {@code context} (the
 * snapshot's name) is authenticated too, so one generation cannot be passed off as another.
 */
public final class HomeCipher {
  private static final byte[] MAGIC = "PGH1".getBytes(StandardCharsets.US_ASCII);
  private static final int NONCE = 12;
  private final SecretKeySpec key;
  private final SecureRandom random = new SecureRandom();

  private HomeCipher(byte[] material) {
    try {
      this.key = new SecretKeySpec(MessageDigest.getInstance("SHA-256").digest(material), "AES");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 missing from this JVM", e);
    }
  }

  /** The key from a file of at least 32 bytes (its whole content is hashed into the AES key). */
  public static HomeCipher fromFile(Path keyFile) throws IOException {
    byte[] material = Files.readAllBytes(keyFile);
    if (material.length < 32) {
      throw new IOException("the operator's key " + keyFile + " holds " + material.length
          + " bytes; it needs at least 32 (random)");
    }
    return new HomeCipher(material);
  }

  /** A new random key, as {@code pgherd operator deploy} makes it: 48 random bytes, base64. */
  public static byte[] newKeyMaterial() {
    byte[] raw = new byte[48];
    new SecureRandom().nextBytes(raw);
    return java.util.Base64.getEncoder().encode(raw);
  }

  public byte[] seal(byte[] plain, String context) {
    byte[] nonce = new byte[NONCE];
    random.nextBytes(nonce);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
      c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = c.doFinal(plain);
      byte[] out = new byte[MAGIC.length + NONCE + sealed.length];
      System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
      System.arraycopy(nonce, 0, out, MAGIC.length, NONCE);
      System.arraycopy(sealed, 0, out, MAGIC.length + NONCE, sealed.length);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM: " + e.getMessage(), e);
    }
  }

  /** The plain bytes; an IOException naming {@code context} when they were sealed with another key or changed. */
  public byte[] open(byte[] sealed, String context) throws IOException {
    if (sealed.length < MAGIC.length + NONCE + 16 || !Arrays.equals(Arrays.copyOf(sealed, MAGIC.length), MAGIC)) {
      throw new IOException(context + " is not a sealed pgherd home");
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, sealed, MAGIC.length, NONCE));
      c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      return c.doFinal(sealed, MAGIC.length + NONCE, sealed.length - MAGIC.length - NONCE);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new IOException(context + " cannot be opened with this operator's key (another key sealed it,"
          + " or it was changed)", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM: " + e.getMessage(), e);
    }
  }
}
