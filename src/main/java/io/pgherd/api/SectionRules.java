package io.pgherd.api;

import static io.pgherd.api.SpecValidator.clusterNameProblem;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the rules of the spec's sections share: the {@link Collector} they report to, and the checks
 * that more than one section makes (a cluster name, a size such as {@code 16MB}, an IPv4 address).
 * Each section's rules say nothing when the section is absent.
 */
abstract class SectionRules {
  final Collector c;

  SectionRules(Collector c) {
    this.c = c;
  }

  void clusterName(String path, String name) {
    clusterNameProblem(name).ifPresent(why -> c.error(path, why));
  }

  void size(String path, String value) {
    if (value == null) {
      return;
    }
    try {
      Quantities.parseSize(value);
    } catch (IllegalArgumentException e) {
      c.error(path, e.getMessage());
    }
  }

  private static final Pattern IPV4 =
      Pattern.compile("(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})");

  static boolean isIpv4(String s) {
    Matcher m = IPV4.matcher(s);
    if (!m.matches()) {
      return false;
    }
    for (int i = 1; i <= 4; i++) {
      if (Integer.parseInt(m.group(i)) > 255) {
        return false;
      }
    }
    return true;
  }
}
