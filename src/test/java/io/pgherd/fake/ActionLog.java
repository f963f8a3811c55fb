package io.pgherd.fake;

import io.pgherd.store.Home;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cluster's action log as {@code pgherd logs NAME} prints it ({@code store.ClusterLog}: one
 * line per action, "TIME LEVEL [rN] action: reason"), read back for assertions.
 */
public record ActionLog(List<Entry> entries) {
  private static final Pattern LINE = Pattern.compile("^(\\S+) (INFO|WARN) \\[([^\\]]*)\\] ([a-z0-9-]+): (.*)$");

  public record Entry(String at, String level, String reconcileId, String action, String reason) {
    public boolean warning() {
      return "WARN".equals(level);
    }

    @Override
    public String toString() {
      return level + " [" + reconcileId + "] " + action + ": " + reason;
    }
  }

  public static ActionLog read(Home home, String cluster) {
    List<Entry> out = new ArrayList<>();
    for (String line : io.pgherd.store.ClusterLog.readAll(home, cluster).lines().toList()) {
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        throw new IllegalStateException("not a cluster log line: " + line);
      }
      out.add(new Entry(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)));
    }
    return new ActionLog(List.copyOf(out));
  }

  public int size() {
    return entries.size();
  }

  /** The entries after the first {@code mark} (an earlier {@link #size()}). */
  public ActionLog since(int mark) {
    return new ActionLog(entries.subList(mark, entries.size()));
  }

  /** The actions in order, INFO and WARN alike. */
  public List<String> actions() {
    return entries.stream().map(Entry::action).toList();
  }

  /** The actions logged as INFO (what was done), in order. */
  public List<String> done() {
    return entries.stream().filter(e -> !e.warning()).map(Entry::action).toList();
  }

  public List<Entry> of(String action) {
    return entries.stream().filter(e -> e.action().equals(action)).toList();
  }

  public boolean has(String action) {
    return entries.stream().anyMatch(e -> e.action().equals(action));
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    entries.forEach(e -> out.append(e).append('\n'));
    return out.toString();
  }
}
