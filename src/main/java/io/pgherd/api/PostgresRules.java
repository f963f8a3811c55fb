package io.pgherd.api;

import static io.pgherd.api.SpecErrors.quote;
import static io.pgherd.api.SpecValidator.MANAGED_PARAMETERS;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The rules of {@code spec.postgres}: the image is a Docker image reference, and each of the
 * parameters is a PostgreSQL parameter name with a one-line value, not one that pgherd manages
 * itself ({@link SpecValidator#MANAGED_PARAMETERS}).
 */
final class PostgresRules extends SectionRules {
  private static final Pattern PARAMETER = Pattern.compile("[a-z_][a-z0-9_.]*");
  private static final Pattern DOMAIN_COMPONENT =
      Pattern.compile("[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]");
  private static final Pattern PATH_COMPONENT =
      Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
  private static final Pattern DIGEST =
      Pattern.compile("[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}");

  PostgresRules(Collector c) {
    super(c);
  }

  void postgres(PostgresSpec pg) {
    if (pg == null) {
      return;
    }
    if (pg.getImage() != null) {
      imageProblem(pg.getImage()).ifPresent(why ->
          c.error("spec.postgres.image", "not a valid image reference " + quote(pg.getImage())
              + ": " + why + " (expected [registry[:port]/]repository[:tag][@digest])"));
    }
    Map<String, String> parameters = pg.getParameters();
    if (parameters == null) {
      return;
    }
    for (Map.Entry<String, String> e : parameters.entrySet()) {
      String key = e.getKey();
      String path = "spec.postgres.parameters." + key;
      if (key == null || !PARAMETER.matcher(key).matches() || key.length() > 63) {
        c.error(path, "not a PostgreSQL parameter name (lowercase letters, digits, '_' and '.')");
        continue;
      }
      if (MANAGED_PARAMETERS.contains(key)) {
        c.error(path, "managed by pgherd; remove it from the spec");
        continue;
      }
      String value = e.getValue();
      if (value == null) {
        c.error(path, "must have a value (quote it, e.g. \"200\")");
      } else if (value.chars().anyMatch(ch -> ch < 0x20 && ch != '\t' || ch == 0x7f)) {
        c.error(path, "must not contain line breaks or control characters");
      }
    }
  }

  /** Why {@code ref} is not a Docker image reference, or empty if it is one. */
  static Optional<String> imageProblem(String ref) {
    if (ref.isEmpty()) {
      return Optional.of("empty");
    }
    String rest = ref;
    int at = rest.indexOf('@');
    if (at >= 0) {
      String digest = rest.substring(at + 1);
      rest = rest.substring(0, at);
      if (!DIGEST.matcher(digest).matches()
          || (digest.startsWith("sha256:") && !digest.substring(7).matches("[0-9a-f]{64}"))) {
        return Optional.of("bad digest '" + digest + "' (sha256: and 64 lowercase hex digits)");
      }
    }
    int slash = rest.lastIndexOf('/');
    int colon = rest.lastIndexOf(':');
    if (colon > slash) {
      String tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        return Optional.of("bad tag '" + tag + "'");
      }
    }
    if (rest.length() > 255) {
      return Optional.of("name longer than 255 characters");
    }
    String[] parts = rest.split("/", -1);
    int first = 0;
    if (parts.length > 1) {
      String head = parts[0];
      // Docker also takes an uppercase first component for a registry host; "Pgherd/postgres"
      // is far more likely a mistyped repository, so it is refused as one.
      if (head.contains(".") || head.contains(":") || head.equals("localhost")) {
        String host = head;
        int portSep = head.indexOf(':');
        if (portSep >= 0) {
          host = head.substring(0, portSep);
          String port = head.substring(portSep + 1);
          if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) > 65535 || Integer.parseInt(port) == 0) {
            return Optional.of("bad registry port '" + port + "'");
          }
        }
        for (String label : host.split("\\.", -1)) {
          if (!DOMAIN_COMPONENT.matcher(label).matches()) {
            return Optional.of("bad registry host '" + head + "'");
          }
        }
        first = 1;
      }
    }
    for (int i = first; i < parts.length; i++) {
      String part = parts[i];
      if (!PATH_COMPONENT.matcher(part).matches()) {
        if (!part.equals(part.toLowerCase(Locale.ROOT))) {
          return Optional.of("repository name must be lowercase");
        }
        return Optional.of(part.isEmpty() ? "empty path component" : "bad path component '" + part + "'");
      }
    }
    return Optional.empty();
  }
}
