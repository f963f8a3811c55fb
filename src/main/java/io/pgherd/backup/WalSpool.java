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

  /**
   * pg_receivewal resumes after the newest complete segment in its directory, on that segment's
   * timeline; when that timeline ended exactly at the segment's end (a failover right after a
   * segment switch), the server answers START_REPLICATION with the next timeline straight away and
   * pg_receivewal 15 gives up ("could not send replication command"). The remedy: an empty
   * ".partial" of the next segment on the next timeline, from which it starts instead. Returns
   * that file's name, or empty when no seed is needed.
   *
   * @param files names in the spool
   * @param serverTimeline the primary's timeline
   * @param history the primary's timeline history file ("parentTLI\tswitchpoint\treason" lines)
   */
  public static java.util.Optional<String> seedAfterSwitch(List<String> files, long serverTimeline, String history,
      long segmentSize) {
    String newestName = null; // the file pg_receivewal resumes from: highest segment, then timeline
    long newestSeg = -1;
    for (String f : files) {
      if (WalLayout.SEGMENT.matcher(f).matches() || WalLayout.PARTIAL.matcher(f).matches()) {
        long seg = Long.parseLong(f.substring(8, 16), 16) * (0x100000000L / segmentSize)
            + Long.parseLong(f.substring(16, 24), 16);
        if (seg > newestSeg || (seg == newestSeg && f.substring(0, 8).compareTo(newestName.substring(0, 8)) > 0)) {
          newestSeg = seg;
          newestName = f;
        }
      }
    }
    // a partial as the newest: pg_receivewal restarts inside that segment, which works
    if (newestName == null || !WalLayout.SEGMENT.matcher(newestName).matches()) {
      return java.util.Optional.empty();
    }
    String newest = newestName;
    long tli = Long.parseLong(newest.substring(0, 8), 16);
    long end = (newestSeg + 1) * segmentSize;
    List<long[]> entries = new ArrayList<>(); // {tli, switchpoint}
    for (String line : history.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 2 && f[0].matches("[0-9]+") && f[1].matches("[0-9A-Fa-f]+/[0-9A-Fa-f]+")) {
        String[] xy = f[1].split("/");
        entries.add(new long[] {Long.parseLong(f[0]), (Long.parseLong(xy[0], 16) << 32) | Long.parseLong(xy[1], 16)});
      }
    }
    for (int i = 0; i < entries.size(); i++) {
      if (entries.get(i)[0] == tli && entries.get(i)[1] == end) {
        long next = i + 1 < entries.size() ? entries.get(i + 1)[0] : serverTimeline;
        long seg = newestSeg + 1;
        long perLog = 0x100000000L / segmentSize;
        return java.util.Optional.of(String.format("%08X%08X%08X.partial", next, seg / perLog, seg % perLog));
      }
    }
    return java.util.Optional.empty();
  }

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
