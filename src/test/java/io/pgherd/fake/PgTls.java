package io.pgherd.fake;

import io.pgherd.runtime.ContainerSpec.FileContent;
import io.pgherd.tls.Certificates;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * TLS and pg_hba.conf as {@link FakePostgres} simulates them: with {@code ssl = 'on'} a server
 * loads ssl_cert_file and ssl_key_file at its start (an error is FATAL) and at each reload (an
 * error keeps the TLS it served: "SSL configuration was not reloaded"); the key must be owned by
 * postgres (uid {@value #POSTGRES_UID}) with no group or world access, as PostgreSQL demands, and
 * match the certificate. pg_hba.conf is read at the start and at each reload; a TCP connection is
 * admitted by its first {@code host}/{@code hostssl}/{@code hostnossl} line that fits its
 * encryption, database (replication or not) and user.
 *
 * <p>A client connects as libpq does for its sslmode: {@code disable} in plain text, {@code prefer}
 * (the default) over TLS when the server serves it, {@code require} and {@code verify-*} only over
 * TLS; {@code verify-ca}/{@code verify-full} check the server's certificate against the root
 * certificate given (when one is given: the operator's CA file is on the host) and, for
 * verify-full, the host name against its names. Used under the engine's lock.
 */
final class PgTls {
  static final int POSTGRES_UID = 999;
  private static final Pattern CONNINFO_PAIR = Pattern.compile("(\\w+)=('(?:[^'\\\\]|\\\\.)*'|\\S+)");

  private PgTls() {}

  /** A pg_hba.conf line for TCP connections: host, hostssl or hostnossl. */
  record HbaRule(String type, String database, String user) {
    boolean admits(boolean overTls, boolean replication, String role) {
      boolean encryption = type.equals("host") || (type.equals("hostssl") == overTls);
      boolean db = replication ? database.equals("replication") : !database.equals("replication");
      return encryption && db && (user.equals("all") || user.equals(role));
    }
  }

  /** The TCP lines of pg_hba.conf, in order. */
  static List<HbaRule> parseHba(String text) {
    List<HbaRule> rules = new ArrayList<>();
    for (String line : text.split("\n")) {
      String[] t = line.strip().split("\\s+");
      if (t.length >= 4 && List.of("host", "hostssl", "hostnossl").contains(t[0])) {
        rules.add(new HbaRule(t[0], t[1], t[2]));
      }
    }
    return List.copyOf(rules);
  }

  /** Whether the rules admit a TCP connection without TLS (of any database or user). */
  static boolean admitsPlain(List<HbaRule> rules) {
    return rules.stream().anyMatch(r -> !r.type().equals("hostssl"));
  }

  /**
   * Why the server cannot load its certificate and key as {@code settings} name them, in the
   * order PostgreSQL checks (be_tls_init); null when it can.
   */
  static String loadError(FakeContainer c, Map<String, String> settings) {
    String certPath = settings.getOrDefault("ssl_cert_file", "server.crt");
    String keyPath = settings.getOrDefault("ssl_key_file", "server.key");
    FileContent cert = c.files.get(certPath);
    if (cert == null) {
      return "could not load server certificate file \"" + certPath + "\": No such file or directory";
    }
    X509Certificate x509;
    try {
      x509 = Certificates.parseCertificate(text(cert));
    } catch (IllegalArgumentException e) {
      return "could not load server certificate file \"" + certPath + "\": no start line";
    }
    FileContent key = c.files.get(keyPath);
    if (key == null) {
      return "could not access private key file \"" + keyPath + "\": No such file or directory";
    }
    if (key.owner() != POSTGRES_UID && key.owner() != 0) {
      return "private key file \"" + keyPath + "\" must be owned by the database user or root";
    }
    if ((key.owner() == POSTGRES_UID && (key.mode() & 0077) != 0) || (key.owner() == 0 && (key.mode() & 0037) != 0)) {
      return "private key file \"" + keyPath + "\" has group or world access";
    }
    if (key.owner() != POSTGRES_UID || (key.mode() & 0400) == 0) {
      return "could not load private key file \"" + keyPath + "\": Permission denied"; // postgres cannot read it
    }
    try {
      PrivateKey k = Certificates.parseKey(text(key));
      Signature sign = Signature.getInstance(k.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA");
      sign.initSign(k);
      sign.update(new byte[] {1});
      byte[] signature = sign.sign();
      sign.initVerify(x509.getPublicKey());
      sign.update(new byte[] {1});
      if (!sign.verify(signature)) {
        return "check of private key failed: key values mismatch";
      }
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      return "could not load private key file \"" + keyPath + "\": " + e.getMessage();
    }
    return null;
  }

  /**
   * Why {@code server} does not admit a connection of {@code role} from {@code address} with the
   * client's {@code sslmode} (verifying against {@code rootPem} when given, and {@code host} for
   * verify-full); null when it does. {@code overTls[0]} says whether the connection uses TLS.
   */
  static String refusal(PgServer server, String sslmode, String rootPem, String host, boolean replication,
      String role, String address, boolean[] overTls) {
    String mode = sslmode == null ? "prefer" : sslmode;
    boolean required = mode.equals("require") || mode.startsWith("verify-");
    boolean tls = !mode.equals("disable") && server.tls;
    if (required && !server.tls) {
      return "server does not support SSL, but SSL was required";
    }
    if (tls && mode.startsWith("verify-") && rootPem != null) {
      X509Certificate cert = Certificates.parseCertificate(text(server.container.files.get(
          server.settings.getOrDefault("ssl_cert_file", "server.crt"))));
      try {
        cert.verify(Certificates.parseCertificate(rootPem).getPublicKey());
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        return "SSL error: certificate verify failed";
      }
      if (mode.equals("verify-full") && !Certificates.altNames(cert).contains(host.toLowerCase(Locale.ROOT))) {
        return "server certificate for \"" + cert.getSubjectX500Principal().getName().replaceFirst("^CN=", "")
            + "\" does not match host name \"" + host + "\"";
      }
    }
    if (server.hba.stream().noneMatch(r -> r.admits(tls, replication, role))) {
      String encryption = tls ? "SSL encryption" : "no encryption";
      return replication
          ? "FATAL:  no pg_hba.conf entry for replication connection from host \"" + address + "\", user \"" + role
              + "\", " + encryption
          : "FATAL:  no pg_hba.conf entry for host \"" + address + "\", user \"" + role + "\", database \"postgres\", "
              + encryption;
    }
    overTls[0] = tls;
    return null;
  }

  /**
   * A standby's (or its entrypoint's) connection to {@code server} with the sslmode and
   * sslrootcert of its primary_conninfo, the root certificate read from its own container.
   */
  static String replicationRefusal(PgServer client, PgServer server, String conninfo, String host, String address,
      boolean[] overTls) {
    Map<String, String> params = parseConninfo(conninfo == null ? "" : conninfo);
    String mode = params.get("sslmode");
    String rootPem = null;
    if (mode != null && mode.startsWith("verify-") && server.tls) {
      String root = params.getOrDefault("sslrootcert", "~/.postgresql/root.crt");
      FileContent f = client.container.files.get(root);
      if (f == null) {
        return "root certificate file \"" + root + "\" does not exist";
      }
      rootPem = text(f);
    }
    return refusal(server, mode, rootPem, host, true, "replicator", address, overTls);
  }

  static Map<String, String> parseConninfo(String conninfo) {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = CONNINFO_PAIR.matcher(conninfo);
    while (m.find()) {
      String v = m.group(2);
      if (v.length() >= 2 && v.startsWith("'") && v.endsWith("'")) {
        v = v.substring(1, v.length() - 1).replaceAll("\\\\(.)", "$1");
      }
      out.put(m.group(1), v);
    }
    return out;
  }

  private static String text(FileContent f) {
    return new String(f.content(), StandardCharsets.UTF_8);
  }
}
