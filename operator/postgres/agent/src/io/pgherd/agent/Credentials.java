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
import javax.net.ssl.KeyManagerFactory;
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

  /** A TLS context serving {@code cert}/{@code key} and trusting only certificates issued by {@code ca}. */
  static SSLContext serverContext(Path ca, Path cert, Path key) throws IOException, GeneralSecurityException {
    X509Certificate caCert = certificates(ca).get(0);
    List<X509Certificate> chain = certificates(cert);
    PrivateKey privateKey = privateKey(key);
    char[] none = new char[0];
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("agent", privateKey, none, chain.toArray(X509Certificate[]::new));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, none);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("cluster-ca", caCert);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
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
