package io.pgherd.backup;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;

/**
 * What to do with the files pg_receivewal leaves in the spool directory: pure, so the rules can
 * be tested without a server or a store.
 *
 * <ul>
 *   <li>a history file not yet stored: store it;
 *   <li>a complete segment: store it, then remove the stored ".partial" object of the same
 *       segment and the local file, except the newest complete segment, which stays so that a
 *       restarted pg_receivewal resumes after it (it starts from the newest file it finds);
 *   <li>the ".partial" segment being written: store it whenever it changed since the last time,
 *       so the store is never more than one upload interval behind the server.
 * </ul>
 */
public final class WalSpool {
  private WalSpool() {}

  /** A file in the spool: name, size, modification time (ms). */
  public record Entry(String name, long size, long modified) {}

  public sealed interface Step permits StoreHistory, StoreSegment, StorePartial, DeleteLocal {}

  public record StoreHistory(String name) implements Step {}

  /** Store the complete segment, then drop its partial object. */
  public record StoreSegment(String segment) implements Step {}

  public record StorePartial(String segment, long size, long modified) implements Step {}

  public record DeleteLocal(String name) implements Step {}

  /**
   * @param files what the spool holds now
   * @param storedHistory history files already stored
   * @param storedSegments complete segments already stored (those this process stored, or found)
   * @param partialsStored partial segment name → "size:modified" of its last stored version
   */
  public static List<Step> plan(List<Entry> files, Set<String> storedHistory, Set<String> storedSegments,
      Map<String, String> partialsStored) {
    List<Step> steps = new ArrayList<>();
    TreeSet<String> complete = new TreeSet<>(Comparator.comparing((String s) -> s.substring(8)).thenComparing(s -> s));
    for (Entry e : files) {
      if (WalLayout.HISTORY.matcher(e.name()).matches() && !storedHistory.contains(e.name())) {
        steps.add(new StoreHistory(e.name()));
      } else if (WalLayout.SEGMENT.matcher(e.name()).matches()) {
        complete.add(e.name());
      }
    }
    // oldest first, so the store never has a later segment without the earlier ones
    String newest = complete.isEmpty() ? null : complete.last();
    for (String segment : complete) {
      if (!storedSegments.contains(segment)) {
        steps.add(new StoreSegment(segment));
      }
      if (!segment.equals(newest)) {
        steps.add(new DeleteLocal(segment));
      }
    }
    for (Entry e : files) {
      Matcher m = WalLayout.PARTIAL.matcher(e.name());
      if (m.matches() && !complete.contains(m.group(1))) {
        String version = e.size() + ":" + e.modified();
        if (!version.equals(partialsStored.get(m.group(1)))) {
          steps.add(new StorePartial(m.group(1), e.size(), e.modified()));
        }
      }
    }
    return steps;
  }
}
