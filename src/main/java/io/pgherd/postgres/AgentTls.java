package io.pgherd.postgres;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The operator's TLS towards one member's agent: it shows its client certificate, and it trusts a
 * server certificate only when the cluster's CA signed it (PKIX, for server authentication) and it
 * names the member's container among its DNS names. The name is checked against the container,
 * not against the host connected to: the operator reaches a member at 127.0.0.1 and a published
 * port, which every agent's certificate names, or by its container name on the cluster network.
 */
final class AgentTls {
  static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  private AgentTls() {}

  /** An SSL context for the agent in container {@code expectedName}. */
  static SSLContext context(MemberAgent.Credentials credentials, String expectedName) {
    try {
      char[] password = new char[16]; // the in-memory key store's, never stored
      SecureRandom random = new SecureRandom();
      for (int i = 0; i < password.length; i++) {
        password[i] = (char) ('a' + random.nextInt(26));
      }
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("client", credentials.key(), password, new Certificate[] {credentials.certificate()});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, password);

      KeyStore anchors = KeyStore.getInstance("PKCS12");
      anchors.load(null, null);
      anchors.setCertificateEntry("ca", credentials.authority());
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(anchors);
      X509TrustManager pkix = (X509TrustManager) tmf.getTrustManagers()[0];

      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), new TrustManager[] {new MemberTrust(pkix, expectedName)}, random);
      return ctx;
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot set up TLS to the agent of " + expectedName + ": " + e.getMessage(), e);
    }
  }

  static SSLParameters parameters() {
    SSLParameters p = new SSLParameters();
    p.setProtocols(PROTOCOLS.toArray(String[]::new));
    return p;
  }

  /** The DNS names among a certificate's subject alternative names, lower case. */
  static TreeSet<String> dnsNames(X509Certificate cert) throws CertificateParsingException {
    TreeSet<String> out = new TreeSet<>();
    Collection<List<?>> sans = cert.getSubjectAlternativeNames();
    if (sans != null) {
      for (List<?> san : sans) {
        if (Integer.valueOf(2).equals(san.get(0))) {
          out.add(String.valueOf(san.get(1)).toLowerCase(Locale.ROOT));
        }
      }
    }
    return out;
  }

  /** PKIX against the cluster's CA, then the member's container name; the host connected to plays no part. */
  static final class MemberTrust extends X509ExtendedTrustManager {
    private final X509TrustManager pkix;
    private final String expectedName;

    MemberTrust(X509TrustManager pkix, String expectedName) {
      this.pkix = pkix;
      this.expectedName = expectedName.toLowerCase(Locale.ROOT);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      try {
        pkix.checkServerTrusted(chain, authType);
      } catch (CertificateException e) {
        throw new CertificateException("the agent's certificate is not one of this cluster's CA ("
            + e.getMessage() + ")", e);
      }
      TreeSet<String> names = dnsNames(chain[0]);
      if (!names.contains(expectedName)) {
        throw new CertificateException("the agent's certificate is for " + names + ", not for " + expectedName);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("the operator's client to an agent trusts no clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return pkix.getAcceptedIssuers();
    }
  }
}
