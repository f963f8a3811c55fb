package io.pgherd.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The X.509 material of {@code spec.tls} and of the member agents' API: a CA per cluster, server
 * certificates for the members and their agents, and the operator's client certificate. ECDSA
 * P-256 keys, PEM encoded (certificates as CERTIFICATE, keys as PKCS#8 PRIVATE KEY, which both
 * OpenSSL and the JDK read). BouncyCastle builds and encodes the certificates; keys are made and
 * signatures computed by the JDK's own providers, so no security provider is installed.
 */
public final class Certificates {
  /** Certificates start a little in the past: clocks of the host and of clients differ. */
  static final Duration BACKDATE = Duration.ofMinutes(5);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");

  private Certificates() {}

  /** A certificate and its private key, both PEM. */
  public record Pair(String certificatePem, String keyPem) {
    public X509Certificate certificate() {
      return parseCertificate(certificatePem);
    }

    public PrivateKey key() {
      return parseKey(keyPem);
    }

    @Override
    public String toString() {
      return "Pair[" + certificate().getSubjectX500Principal() + "]"; // never the key
    }
  }

  /** A self-signed CA certificate for the cluster, valid from now (minus the backdate) for validity. */
  public static Pair authority(String cluster, Instant now, Duration validity) {
    KeyPair keys = keyPair();
    X500Name subject = name("pgherd " + cluster + " CA");
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
          Date.from(now.minus(BACKDATE)), Date.from(now.plus(validity)), subject, keys.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
      return new Pair(pem("CERTIFICATE", b.build(signer(keys.getPrivate())).getEncoded()),
          pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot create the CA certificate of " + cluster + ": " + e.getMessage(), e);
    }
  }

  /**
   * A server certificate signed by ca: subject CN commonName, subject alternative names the DNS
   * names and IPv4 addresses of altNames (the first DNS name is the common name too). It never
   * outlives the CA.
   */
  public static Pair server(Pair ca, String commonName, Collection<String> altNames, Instant now, Duration validity) {
    if (altNames.isEmpty()) {
      throw new IllegalArgumentException("a server certificate needs at least one name");
    }
    return leaf(ca, commonName, altNames, KeyPurposeId.id_kp_serverAuth,
        KeyUsage.digitalSignature | KeyUsage.keyAgreement, now, validity, "server");
  }

  /**
   * A client certificate signed by ca: subject CN commonName (what the server admits it by),
   * extended key usage clientAuth only (it cannot serve), no subject alternative names. It never
   * outlives the CA.
   */
  public static Pair client(Pair ca, String commonName, Instant now, Duration validity) {
    return leaf(ca, commonName, List.of(), KeyPurposeId.id_kp_clientAuth, KeyUsage.digitalSignature, now, validity,
        "client");
  }

  private static Pair leaf(Pair ca, String commonName, Collection<String> altNames, KeyPurposeId purpose, int usage,
      Instant now, Duration validity, String kind) {
    KeyPair keys = keyPair();
    X509Certificate caCert = ca.certificate();
    Instant notAfter = now.plus(validity);
    if (notAfter.isAfter(caCert.getNotAfter().toInstant())) {
      notAfter = caCert.getNotAfter().toInstant();
    }
    List<GeneralName> names = new ArrayList<>();
    for (String n : altNames) {
      names.add(isIpv4(n) ? new GeneralName(GeneralName.iPAddress, n) : new GeneralName(GeneralName.dNSName, n));
    }
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(caCert, serial(),
          Date.from(now.minus(BACKDATE)), Date.from(notAfter), name(commonName), keys.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(usage))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
      if (!names.isEmpty()) {
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
      }
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()))
          .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
      return new Pair(pem("CERTIFICATE", b.build(signer(ca.key())).getEncoded()),
          pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot create the " + kind + " certificate of " + commonName + ": "
          + e.getMessage(), e);
    }
  }

  /** Whether key is the private key of cert's public key (a signature made with one verifies with the other). */
  public static boolean matches(X509Certificate cert, PrivateKey key) {
    String known;
    try {
      known = "key " + java.util.Base64.getEncoder().encodeToString(cert.getEncoded()) + " "
          + java.util.Base64.getEncoder().encodeToString(key.getEncoded() == null ? new byte[0] : key.getEncoded());
    } catch (java.security.cert.CertificateEncodingException e) {
      return false;
    }
    if (CHECKED.containsKey(known)) {
      return true;
    }
    boolean ok = signsFor(cert, key);
    if (ok) {
      remember(known);
    }
    return ok;
  }

  /**
   * Checks that passed, by the certificates' and keys' encodings: every pass asks again whether each
   * agent's and member's certificate still fits (an ECDSA signature and two verifications each,
   * more than half of an idle operator's pass before this), and the answer cannot change for the
   * same bytes. Failures are not kept (they are asked again, and cost a new certificate anyway).
   */
  private static final java.util.Map<String, Boolean> CHECKED = new java.util.concurrent.ConcurrentHashMap<>();

  private static void remember(String known) {
    if (CHECKED.size() > 1024) {
      CHECKED.clear(); // (certificates are renewed every few months: this is never reached in practice)
    }
    CHECKED.put(known, Boolean.TRUE);
  }

  private static boolean signsFor(X509Certificate cert, PrivateKey key) {
    try {
      byte[] probe = "pgherd key check".getBytes(StandardCharsets.US_ASCII);
      String algorithm = "RSA".equals(key.getAlgorithm()) ? "SHA256withRSA" : "SHA256withECDSA";
      java.security.Signature sign = java.security.Signature.getInstance(algorithm);
      sign.initSign(key);
      sign.update(probe);
      byte[] signature = sign.sign();
      java.security.Signature verify = java.security.Signature.getInstance(algorithm);
      verify.initVerify(cert.getPublicKey());
      verify.update(probe);
      return verify.verify(signature);
    } catch (GeneralSecurityException e) {
      return false; // another algorithm, a damaged key: not this certificate's
    }
  }

  /**
   * Why cert must be replaced for the wanted names and policy (empty: it is fine): not signed by
   * ca, other names, expiring within renewBefore, or valid for longer than validity allows.
   */
  public static java.util.Optional<String> renewalReason(X509Certificate cert, X509Certificate ca,
      Collection<String> altNames, Instant now, Duration validity, Duration renewBefore) {
    if (!signedBy(cert, ca)) {
      return java.util.Optional.of("not signed by the cluster's CA");
    }
    Set<String> have = altNames(cert);
    Set<String> want = normalized(altNames);
    if (!have.equals(want)) {
      Set<String> added = new TreeSet<>(want);
      added.removeAll(have);
      Set<String> removed = new TreeSet<>(have);
      removed.removeAll(want);
      return java.util.Optional.of("names changed (" + (added.isEmpty() ? "" : "added " + added)
          + (added.isEmpty() || removed.isEmpty() ? "" : ", ") + (removed.isEmpty() ? "" : "removed " + removed) + ")");
    }
    Instant notAfter = cert.getNotAfter().toInstant();
    if (!notAfter.minus(renewBefore).isAfter(now)) {
      return java.util.Optional.of("expires " + notAfter + ", within renewBefore " + renewBefore.toString().substring(2).toLowerCase(Locale.ROOT));
    }
    Instant caEnd = ca.getNotAfter().toInstant();
    if (notAfter.isAfter(now.plus(validity).plus(BACKDATE)) && !notAfter.equals(caEnd)) {
      return java.util.Optional.of("valid until " + notAfter + ", longer than certificateValidity allows");
    }
    return java.util.Optional.empty();
  }

  /** Whether ca's key signed cert (a check that passed is remembered by both encodings). */
  static boolean signedBy(X509Certificate cert, X509Certificate ca) {
    String known;
    try {
      known = "ca " + java.util.Base64.getEncoder().encodeToString(cert.getEncoded()) + " "
          + java.util.Base64.getEncoder().encodeToString(ca.getEncoded());
    } catch (java.security.cert.CertificateEncodingException e) {
      return false;
    }
    if (CHECKED.containsKey(known)) {
      return true;
    }
    try {
      cert.verify(ca.getPublicKey());
    } catch (GeneralSecurityException e) {
      return false;
    }
    remember(known);
    return true;
  }

  /** The DNS names and IP addresses of a certificate's subject alternative names, lower case. */
  public static Set<String> altNames(X509Certificate cert) {
    Set<String> out = new TreeSet<>();
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          out.add(String.valueOf(san.get(1)).toLowerCase(Locale.ROOT));
        }
      }
    } catch (CertificateParsingException e) {
      throw new IllegalArgumentException("unreadable subject alternative names: " + e.getMessage(), e);
    }
    return out;
  }

  private static Set<String> normalized(Collection<String> names) {
    Set<String> out = new TreeSet<>();
    names.forEach(n -> out.add(n.toLowerCase(Locale.ROOT)));
    return out;
  }

  public static X509Certificate parseCertificate(String pem) {
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(der(pem, "CERTIFICATE")));
    } catch (CertificateException e) {
      throw new IllegalArgumentException("not an X.509 certificate: " + e.getMessage(), e);
    }
  }

  public static PrivateKey parseKey(String pem) {
    byte[] der = der(pem, "PRIVATE KEY");
    for (String algorithm : List.of("EC", "RSA")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // the other algorithm
      }
    }
    throw new IllegalArgumentException("not a PKCS#8 EC or RSA private key");
  }

  static String pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  private static byte[] der(String pem, String type) {
    Matcher m = PEM.matcher(pem == null ? "" : pem);
    while (m.find()) {
      if (m.group(1).equals(type)) {
        return Base64.getMimeDecoder().decode(m.group(2));
      }
    }
    throw new IllegalArgumentException("no PEM " + type + " block");
  }

  private static KeyPair keyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot make EC P-256 keys: " + e.getMessage(), e);
    }
  }

  private static ContentSigner signer(PrivateKey key) {
    try {
      return new JcaContentSignerBuilder("SHA256withECDSA").build(key);
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("cannot sign with SHA256withECDSA: " + e.getMessage(), e);
    }
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  private static X500Name name(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "pgherd").addRDN(BCStyle.CN, commonName).build();
  }

  static boolean isIpv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }
}
