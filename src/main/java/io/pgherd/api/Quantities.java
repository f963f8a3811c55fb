package io.pgherd.api;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes and durations as written in a spec.
 *
 * <p>Sizes follow PostgreSQL: digits, then an optional unit among {@code B, kB, MB, GB, TB}
 * (1024-based, case-sensitive, no space): {@code 1024}, {@code 512kB}, {@code 16MB}, {@code 1GB}.
 * Durations are digits followed by {@code ms}, {@code s}, {@code m} or {@code h}: {@code 500ms},
 * {@code 2s}, {@code 5m}, {@code 1h}.
 */
public final class Quantities {

  private static final Pattern SIZE = Pattern.compile("([0-9]+)(B|kB|MB|GB|TB)?");
  private static final Pattern DURATION = Pattern.compile("([0-9]+)(ms|s|m|h)");
  private static final String[] UNITS = {"B", "kB", "MB", "GB", "TB"};

  private Quantities() {}

  /**
   * Parses a size such as {@code 16MB} into bytes.
   *
   * @throws IllegalArgumentException if the text is not a size or does not fit in a long
   */
  public static long parseSize(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("not a size: empty (expected e.g. 16MB)");
    }
    Matcher m = SIZE.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a size: '" + text
          + "' (expected digits followed by an optional unit B, kB, MB, GB or TB, e.g. 16MB)");
    }
    long multiplier = switch (m.group(2) == null ? "B" : m.group(2)) {
      case "kB" -> 1L << 10;
      case "MB" -> 1L << 20;
      case "GB" -> 1L << 30;
      case "TB" -> 1L << 40;
      default -> 1L;
    };
    try {
      return Math.multiplyExact(Long.parseLong(m.group(1)), multiplier);
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException("size too large: '" + text + "'");
    }
  }

  /**
   * Parses a duration such as {@code 2s} or {@code 500ms}.
   *
   * @throws IllegalArgumentException if the text is not a duration or is absurdly large
   */
  public static Duration parseDuration(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("not a duration: empty (expected e.g. 2s)");
    }
    Matcher m = DURATION.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a duration: '" + text
          + "' (expected digits followed by ms, s, m or h, e.g. 2s)");
    }
    long millisPerUnit = switch (m.group(2)) {
      case "s" -> 1_000L;
      case "m" -> 60_000L;
      case "h" -> 3_600_000L;
      default -> 1L;
    };
    try {
      return Duration.ofMillis(Math.multiplyExact(Long.parseLong(m.group(1)), millisPerUnit));
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException("duration too large: '" + text + "'");
    }
  }

  /**
   * Formats a byte count for people, 1024-based with the units of {@link #parseSize}.
   * An exact multiple of a unit is written without decimals ({@code 16MB}, {@code 512B}) and
   * parses back to the same value; anything else gets one decimal ({@code 1.5kB}).
   */
  public static String formatBytes(long bytes) {
    if (bytes < 0) {
      return "-" + formatBytes(bytes == Long.MIN_VALUE ? Long.MAX_VALUE : -bytes);
    }
    int unit = 0;
    while (unit < UNITS.length - 1 && bytes >= (1L << (10 * (unit + 1)))) {
      unit++;
    }
    long divisor = 1L << (10 * unit);
    if (bytes % divisor == 0) {
      return (bytes / divisor) + UNITS[unit];
    }
    BigDecimal value = BigDecimal.valueOf(bytes)
        .divide(BigDecimal.valueOf(divisor), 1, RoundingMode.HALF_UP);
    if (value.compareTo(BigDecimal.valueOf(1024)) >= 0 && unit < UNITS.length - 1) {
      value = value.divide(BigDecimal.valueOf(1024), 1, RoundingMode.HALF_UP);
      unit++;
    }
    return value.toPlainString() + UNITS[unit];
  }
}
