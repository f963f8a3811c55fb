package io.pgherd.agent;

import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the member answers HAProxy, from the latest {@link Health.State}: pure logic, no I/O.
 *
 * <ul>
 *   <li>{@code /primary}: 200 when PostgreSQL answers and is not in recovery;</li>
 *   <li>{@code /replica}: 200 when it answers and is in recovery; with {@code ?lag=N} (bytes, or
 *       with a unit: kB, MB, GB) only when its replay is at most N behind the WAL its primary has
 *       sent it ({@code pg_stat_wal_receiver.latest_end_lsn}) — a replica that has no WAL receiver
 *       cannot say, and answers 503;</li>
 *   <li>{@code /health} (and {@code /}): 200 when it answers at all.</li>
 * </ul>
 * A state older than {@code maxAgeMillis} counts as "does not answer" (a hung server).
 */
final class Health {
  private Health() {}

  enum Role {
    PRIMARY, REPLICA, UNAVAILABLE;

    String json() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One look at the server: its role, and for a replica how far its replay is behind the end of the
   * WAL its primary reported (null: no WAL receiver); {@code atMillis} on the agent's monotonic clock.
   */
  record State(Role role, Long lagBytes, long atMillis, String error) {
    static State unavailable(long atMillis, String error) {
      return new State(Role.UNAVAILABLE, null, atMillis, error);
    }
  }

  /** An HTTP answer: status code and JSON body. */
  record Answer(int status, String body) {}

  private static final Pattern SIZE = Pattern.compile("(\\d{1,15})\\s*(b|kb|mb|gb)?", Pattern.CASE_INSENSITIVE);

  static Answer answer(String path, String query, State state, long nowMillis, long maxAgeMillis) {
    Role role = state == null || nowMillis - state.atMillis() > maxAgeMillis ? Role.UNAVAILABLE : state.role();
    String body = "{\"role\":\"" + role.json() + "\""
        + (role == Role.REPLICA && state.lagBytes() != null ? ",\"lagBytes\":" + state.lagBytes() : "") + "}";
    switch (path) {
      case "/primary":
        return new Answer(role == Role.PRIMARY ? 200 : 503, body);
      case "/replica": {
        OptionalLong maxLag;
        try {
          maxLag = maxLag(query);
        } catch (IllegalArgumentException e) {
          return new Answer(400, "{\"error\":\"" + e.getMessage() + "\"}");
        }
        boolean ok = role == Role.REPLICA
            && (maxLag.isEmpty() || state.lagBytes() != null && state.lagBytes() <= maxLag.getAsLong());
        return new Answer(ok ? 200 : 503, body);
      }
      case "/health":
      case "/":
        return new Answer(role != Role.UNAVAILABLE ? 200 : 503, body);
      default:
        return new Answer(404, "{\"error\":\"not found\"}");
    }
  }

  /** The {@code lag} parameter of a query string, in bytes; empty when absent. */
  static OptionalLong maxLag(String query) {
    if (query == null || query.isEmpty()) {
      return OptionalLong.empty();
    }
    for (String param : query.split("&")) {
      if (param.startsWith("lag=")) {
        Matcher m = SIZE.matcher(param.substring(4));
        if (!m.matches()) {
          throw new IllegalArgumentException("lag must be a size in bytes, kB, MB or GB (e.g. lag=16MB)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        return OptionalLong.of(switch (unit) {
          case "kb" -> n << 10;
          case "mb" -> n << 20;
          case "gb" -> n << 30;
          default -> n;
        });
      }
    }
    return OptionalLong.empty();
  }
}
