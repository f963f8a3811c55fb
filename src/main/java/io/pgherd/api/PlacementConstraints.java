package io.pgherd.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Swarm placement constraints as pgherd reads them ({@code spec.placement.constraints}): KEY==VALUE
 * or KEY!=VALUE, KEY one of node.id, node.hostname, node.role, node.labels.LABEL (what pgherd
 * itself can check against a node when it chooses one).
 */
public final class PlacementConstraints {
  private static final Pattern SYNTAX = Pattern.compile("^\\s*([A-Za-z0-9_.\\-]+)\\s*(==|!=)\\s*(\\S.*?)\\s*$");
  private static final String LABELS = "node.labels.";

  private PlacementConstraints() {}

  /** One constraint: the key, whether it asks for equality, and the value. */
  public record Constraint(String key, boolean equal, String value) {}

  /** The constraint, or empty when it is not one pgherd reads. */
  public static Optional<Constraint> parse(String text) {
    Matcher m = text == null ? null : SYNTAX.matcher(text);
    if (m == null || !m.matches() || !known(m.group(1))) {
      return Optional.empty();
    }
    return Optional.of(new Constraint(m.group(1), "==".equals(m.group(2)), m.group(3)));
  }

  /** What is wrong with each constraint that is not one (empty when all are). */
  public static List<String> problems(List<String> constraints) {
    List<String> out = new ArrayList<>();
    for (String c : constraints) {
      Matcher m = c == null ? null : SYNTAX.matcher(c);
      if (m == null || !m.matches()) {
        out.add("'" + c + "' is not a constraint: expected KEY==VALUE or KEY!=VALUE, e.g. node.labels.db==true");
      } else if (!known(m.group(1))) {
        out.add("'" + c + "': pgherd places by node.id, node.hostname, node.role and node.labels.<label>, not "
            + m.group(1));
      }
    }
    return out;
  }

  private static boolean known(String key) {
    return key.equals("node.id") || key.equals("node.hostname") || key.equals("node.role")
        || (key.startsWith(LABELS) && key.length() > LABELS.length());
  }
}
