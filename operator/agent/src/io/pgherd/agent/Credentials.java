package io.pgherd.agent;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.security.auth.x500.X500Principal;

/**
 * The agent's TLS identity for its API, from the PEM files the operator delivers: the cluster's CA
 * (the only issuer whose clients it accepts), its own certificate and key (PKCS#8, EC or RSA).
 */
final class Credentials {
  /** The subject common name of the one client the API serves. */
  static final String OPERATOR_CN = "pgherd-operator";

  private static final Pattern BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");
  private static final Pattern CN = Pattern.compile("(?:^|,)\\s*CN=((?:\\\\.|[^,\\\\])*)");

  private Credentials() {}

  /**
   * A TLS context serving {@code cert}/{@code key} and trusting only certificates issued by
   * {@code ca}. The certificate and key are read again when either file changes (the operator
   * renews them before they expire): new handshakes use the new ones, without a restart; a pair
   * that cannot be read is said in {@code log} and the previous one keeps serving.
   */
  static SSLContext serverContext(Path ca, Path cert, Path key, Log log) throws IOException, GeneralSecurityException {
    X509Certificate caCert = certificates(ca).get(0);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("cluster-ca", caCert);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(new javax.net.ssl.KeyManager[] {new Reloading(cert, key, log)}, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** A key manager over the certificate and key files, read again when they change. */
  static final class Reloading extends javax.net.ssl.X509ExtendedKeyManager {
    private static final String ALIAS = "agent";
    private final Path cert;
    private final Path key;
    private final Log log;
    private String stamp = "";
    private String failure = "";
    private X509Certificate[] chain;
    private PrivateKey privateKey;

    Reloading(Path cert, Path key, Log log) throws IOException, GeneralSecurityException {
      this.cert = cert;
      this.key = key;
      this.log = log;
      load();
    }

    /** Reads the files when their modification times changed; a pair that cannot be used keeps the last good one. */
    private synchronized void load() throws IOException, GeneralSecurityException {
      String now = Files.getLastModifiedTime(cert) + "/" + Files.getLastModifiedTime(key);
      if (now.equals(stamp)) {
        return;
      }
      List<X509Certificate> c = certificates(cert);
      PrivateKey k = privateKey(key);
      chain = c.toArray(X509Certificate[]::new);
      privateKey = k;
      stamp = now;
    }

    private void refresh() {
      try {
        load();
      } catch (IOException | GeneralSecurityException e) {
        // half-written during a renewal, say: the previous pair serves, and the next handshake tries again
        synchronized (this) {
          if (!String.valueOf(e.getMessage()).equals(failure)) {
            failure = String.valueOf(e.getMessage());
            log.info("API: " + cert + " / " + key + " cannot be read, the previous pair still serves: " + failure);
          }
        }
      }
    }

    @Override
    public String chooseEngineServerAlias(String keyType, java.security.Principal[] issuers, javax.net.ssl.SSLEngine engine) {
      return chooseServerAlias(keyType, issuers, null);
    }

    @Override
    public String chooseServerAlias(String keyType, java.security.Principal[] issuers, java.net.Socket socket) {
      refresh();
      return keyType.equals(privateKey.getAlgorithm()) ? ALIAS : null;
    }

    @Override
    public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
      refresh();
      return keyType.equals(privateKey.getAlgorithm()) ? new String[] {ALIAS} : null;
    }

    @Override
    public synchronized X509Certificate[] getCertificateChain(String alias) {
      return ALIAS.equals(alias) ? chain.clone() : null;
    }

    @Override
    public synchronized PrivateKey getPrivateKey(String alias) {
      return ALIAS.equals(alias) ? privateKey : null;
    }

    @Override
    public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, java.net.Socket socket) {
      return null;
    }
  }

  /** The subject common name of a certificate's principal, or "" when it has none. */
  static String commonName(X500Principal subject) {
    Matcher m = CN.matcher(subject.getName(X500Principal.RFC2253));
    String cn = "";
    while (m.find()) {
      cn = m.group(1); // RFC 2253 lists the most specific RDN first; the last CN match is as good for ours (one CN)
    }
    return cn.replaceAll("\\\\(.)", "$1");
  }

  static List<X509Certificate> certificates(Path pem) throws IOException, GeneralSecurityException {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    List<X509Certificate> certs = new java.util.ArrayList<>();
    for (byte[] der : blocks(pem, "CERTIFICATE")) {
      certs.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der)));
    }
    if (certs.isEmpty()) {
      throw new GeneralSecurityException(pem + " holds no CERTIFICATE");
    }
    return certs;
  }

  static PrivateKey privateKey(Path pem) throws IOException, GeneralSecurityException {
    List<byte[]> blocks = blocks(pem, "PRIVATE KEY");
    if (blocks.size() != 1) {
      throw new GeneralSecurityException(pem + " must hold one PKCS#8 PRIVATE KEY");
    }
    for (String algorithm : List.of("EC", "RSA")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(blocks.get(0)));
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw new GeneralSecurityException(pem + " is not a PKCS#8 EC or RSA private key");
  }

  private static List<byte[]> blocks(Path pem, String type) throws IOException {
    String text = Files.readString(pem, StandardCharsets.US_ASCII);
    List<byte[]> out = new java.util.ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      if (m.group(1).equals(type)) {
        out.add(Base64.getMimeDecoder().decode(m.group(2)));
      }
    }
    return out;
  }
}
