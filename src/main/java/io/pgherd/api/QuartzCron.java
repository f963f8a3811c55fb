package io.pgherd.api;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A syntactic check of Quartz cron expressions ({@code spec.backup.schedule}), without Quartz.
 *
 * <p>Six or seven whitespace-separated fields: seconds, minutes, hours, day-of-month, month,
 * day-of-week and an optional year. Each field is {@code *}, or a comma-separated list of values,
 * ranges ({@code a-b}) and steps ({@code a/n}, {@code a-b/n}, or a star followed by {@code /n}). Months accept
 * {@code JAN-DEC}, days of week {@code SUN-SAT} (1 = Sunday). Day-of-month also accepts {@code L},
 * {@code L-n}, {@code LW} and {@code nW}; day-of-week {@code L}, {@code nL} and {@code n#k}.
 * Exactly one of day-of-month and day-of-week must be {@code ?}.
 */
final class QuartzCron {

  private record Field(String name, int min, int max, List<String> names) {}

  private static final List<String> MONTHS =
      List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC");
  private static final List<String> DAYS = List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");

  private static final Field[] FIELDS = {
    new Field("seconds", 0, 59, List.of()),
    new Field("minutes", 0, 59, List.of()),
    new Field("hours", 0, 23, List.of()),
    new Field("day-of-month", 1, 31, List.of()),
    new Field("month", 1, 12, MONTHS),
    new Field("day-of-week", 1, 7, DAYS),
    new Field("year", 1970, 2099, List.of()),
  };

  private static final int DOM = 3;
  private static final int DOW = 5;
  private static final Pattern RANGE_STEP =
      Pattern.compile("(\\*|[A-Z0-9]+)(?:-([A-Z0-9]+))?(?:/([0-9]+))?");

  private QuartzCron() {}

  /** Returns why the expression is not a Quartz cron expression, or empty if it is one. */
  static Optional<String> check(String expression) {
    if (expression == null || expression.isBlank()) {
      return Optional.of("empty");
    }
    String[] parts = expression.trim().toUpperCase(Locale.ROOT).split("\\s+");
    if (parts.length < 6 || parts.length > 7) {
      return Optional.of("expected 6 or 7 fields (seconds minutes hours day-of-month month"
          + " day-of-week [year]), got " + parts.length
          + (parts.length == 5 ? " (Quartz cron starts with seconds, e.g. \"0 0 2 * * ?\")" : ""));
    }
    for (int i = 0; i < parts.length; i++) {
      Optional<String> problem = checkField(i, parts[i]);
      if (problem.isPresent()) {
        return Optional.of(FIELDS[i].name() + " field '" + parts[i] + "': " + problem.get());
      }
    }
    boolean domAny = parts[DOM].equals("?");
    boolean dowAny = parts[DOW].equals("?");
    if (domAny == dowAny) {
      return Optional.of("exactly one of day-of-month and day-of-week must be '?', e.g. \"0 0 2 * * ?\"");
    }
    return Optional.empty();
  }

  private static Optional<String> checkField(int index, String text) {
    Field f = FIELDS[index];
    if (text.equals("?")) {
      return index == DOM || index == DOW
          ? Optional.empty()
          : Optional.of("'?' is only allowed in day-of-month and day-of-week");
    }
    if (text.isEmpty() || text.startsWith(",") || text.endsWith(",")) {
      return Optional.of("empty list item");
    }
    for (String item : text.split(",", -1)) {
      if (item.isEmpty()) {
        return Optional.of("empty list item");
      }
      Optional<String> problem = checkItem(index, f, item);
      if (problem.isPresent()) {
        return problem;
      }
    }
    return Optional.empty();
  }

  private static Optional<String> checkItem(int index, Field f, String item) {
    if (item.equals("?")) {
      return Optional.of("'?' cannot be part of a list");
    }
    if (index == DOM) {
      if (item.equals("L") || item.equals("LW")) {
        return Optional.empty();
      }
      if (item.startsWith("L-")) {
        return number(item.substring(2), 0, 30, "offset from the last day");
      }
      if (item.endsWith("W")) {
        return number(item.substring(0, item.length() - 1), 1, 31, "day of month");
      }
    }
    if (index == DOW) {
      if (item.equals("L")) {
        return Optional.empty();
      }
      int hash = item.indexOf('#');
      if (hash >= 0) {
        Optional<String> day = value(f, item.substring(0, hash));
        return day.isPresent() ? day : number(item.substring(hash + 1), 1, 5, "week of month");
      }
      if (item.endsWith("L")) {
        return value(f, item.substring(0, item.length() - 1));
      }
    }
    Matcher m = RANGE_STEP.matcher(item);
    if (!m.matches()) {
      return Optional.of("not a value, range, list or step");
    }
    if (m.group(1).equals("*")) {
      if (m.group(2) != null) {
        return Optional.of("'*' cannot start a range");
      }
    } else {
      Optional<String> start = value(f, m.group(1));
      if (start.isPresent()) {
        return start;
      }
      if (m.group(2) != null) {
        Optional<String> end = value(f, m.group(2));
        if (end.isPresent()) {
          return end;
        }
      }
    }
    if (m.group(3) != null) {
      return number(m.group(3), 1, f.max(), "step");
    }
    return Optional.empty();
  }

  private static Optional<String> value(Field f, String text) {
    int named = f.names().indexOf(text);
    if (named >= 0) {
      return Optional.empty();
    }
    if (!f.names().isEmpty() && !text.chars().allMatch(Character::isDigit)) {
      return Optional.of("'" + text + "' is not a " + f.name() + " (" + f.min() + "-" + f.max()
          + " or " + f.names().get(0) + "-" + f.names().get(f.names().size() - 1) + ")");
    }
    return number(text, f.min(), f.max(), f.name());
  }

  private static Optional<String> number(String text, int min, int max, String what) {
    if (text.isEmpty() || text.length() > 4 || !text.chars().allMatch(Character::isDigit)) {
      return Optional.of("'" + text + "' is not a " + what + " (" + min + "-" + max + ")");
    }
    int v = Integer.parseInt(text);
    if (v < min || v > max) {
      return Optional.of(what + " " + v + " is out of range " + min + "-" + max);
    }
    return Optional.empty();
  }
}
