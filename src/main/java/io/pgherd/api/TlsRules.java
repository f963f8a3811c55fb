package io.pgherd.api;

import static io.pgherd.api.SpecErrors.quote;

import java.time.Duration;
import java.util.regex.Pattern;

/**
 * The rules of {@code spec.tls}: at most 32 alternative names, each a DNS name or an IPv4 address;
 * durations in range, and {@code renewBefore} shorter than {@code certificateValidity}, defaults
 * counted. Settings with TLS not enabled are a warning.
 */
final class TlsRules extends SectionRules {
  private static final int MAX_ALT_NAMES = 32;
  private static final Pattern DNS_NAME = Pattern.compile(
      "(\\*\\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

  TlsRules(Collector c) {
    super(c);
  }

  void tls(TlsSpec tls) {
    if (tls == null) {
      return;
    }
    java.util.List<String> names = tls.getAltNames();
    if (names != null) {
      if (names.size() > MAX_ALT_NAMES) {
        c.error("spec.tls.altNames", "at most " + MAX_ALT_NAMES + " names, got " + names.size());
      } else {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < names.size(); i++) {
          String n = names.get(i);
          String path = "spec.tls.altNames[" + i + "]";
          if (n == null || !(isIpv4(n) || (n.length() <= 253 && DNS_NAME.matcher(n).matches()))) {
            c.error(path, "must be a DNS name (letters, digits, '-', dots; '*.' first for a wildcard)"
                + " or an IPv4 address, got " + quote(String.valueOf(n)));
          } else if (!seen.add(n.toLowerCase(java.util.Locale.ROOT))) {
            c.warning(path, "duplicate of an earlier name: " + quote(n));
          }
        }
      }
    }
    Duration validity = tlsDuration("spec.tls.certificateValidity", tls.getCertificateValidity(),
        Duration.ofMinutes(1), Duration.ofHours(87600), "1m and 87600h");
    Duration renew = tlsDuration("spec.tls.renewBefore", tls.getRenewBefore(), Duration.ofSeconds(1),
        Duration.ofHours(87600), "1s and 87600h");
    if (validity != null && renew != null) {
      Duration v = tls.getCertificateValidity() == null
          ? Quantities.parseDuration(ClusterConfig.DEFAULT_CERTIFICATE_VALIDITY) : validity;
      Duration r = tls.getRenewBefore() == null
          ? Quantities.parseDuration(ClusterConfig.DEFAULT_RENEW_BEFORE) : renew;
      if (r.compareTo(v) >= 0) {
        c.error(tls.getRenewBefore() == null ? "spec.tls.certificateValidity" : "spec.tls.renewBefore",
            "renewBefore (" + (tls.getRenewBefore() == null ? ClusterConfig.DEFAULT_RENEW_BEFORE : tls.getRenewBefore())
            + ") must be shorter than certificateValidity ("
            + (tls.getCertificateValidity() == null ? ClusterConfig.DEFAULT_CERTIFICATE_VALIDITY
                : tls.getCertificateValidity()) + "), or every certificate would be renewed at once");
      }
    }
    if (!Boolean.TRUE.equals(tls.getEnabled())
        && (names != null || tls.getCertificateValidity() != null || tls.getRenewBefore() != null)) {
      c.warning("spec.tls.enabled", "not true: the other spec.tls settings have no effect");
    }
  }

  /** The duration at path, or null when it is wrong (reported); a zero placeholder when absent. */
  private Duration tlsDuration(String path, String text, Duration min, Duration max, String range) {
    if (text == null) {
      return Duration.ZERO;
    }
    try {
      Duration d = Quantities.parseDuration(text);
      if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
        c.error(path, "must be between " + range + ", got " + text);
        return null;
      }
      return d;
    } catch (IllegalArgumentException e) {
      c.error(path, e.getMessage());
      return null;
    }
  }
}
