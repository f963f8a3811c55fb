package io.pgherd.backup;

import io.pgherd.model.Lsn;
import io.pgherd.model.Quoting;
import io.pgherd.model.RecoveryTarget;
import io.pgherd.objectstore.ObjectStore;
import io.pgherd.objectstore.ObjectStoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Plans a point-in-time recovery from a cluster's backups: downloads the WAL the archive holds
 * from the oldest complete backup on (the first segment of each later timeline completed with
 * its parent's bytes before the switch point: pg_receivewal writes zeros there), reads it with
 * pg_waldump, checks the target against what is really there — refusing, with the recoverable
 * range, a target before the first recoverability point, after the end of the archive, an xid
 * that never commits or an unknown restore point — and picks the newest base backup that ends
 * before the target. Nothing outside the work directory is touched.
 */
public final class RestorePlanner {
  private static final long SEG = WalArchiver.SEGMENT_SIZE;
  private static final Pattern WAL_KEY = Pattern.compile(".*/wal/([0-9A-F]{8})/([0-9A-F]{24})(\\.partial)?\\.gz");
  private static final Pattern HISTORY_KEY = Pattern.compile(".*/wal/([0-9A-F]{8})\\.history");
  private static final Pattern PG_TIME = Pattern.compile(
      "(\\d{4}-\\d{2}-\\d{2})[ T](\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,6})?)\\s*(Z|[+-]\\d{2}(?::?\\d{2})?)?");

  /** A target refused before anything changed; the message has the recoverable range. */
  public static final class Refused extends Exception {
    public Refused(String message) {
      super(message);
    }
  }

  /**
   * What the restore will do.
   *
   * @param base the source's CLUSTER/SYSID/
   * @param walDir the downloaded WAL (segments and history files), ready for restore_command
   * @param walFiles the files in walDir the chosen backup needs (its start segment on, and every history file)
   * @param recoveryConf the recovery target settings, PostgreSQL syntax
   */
  public record Plan(BackupInfo backup, String base, Path walDir, List<String> walFiles, long walBytes,
      String firstWal, String lastWal, String range, RecoveryTarget target, String recoveryConf, long walEnd) {
    public String describe() {
      return "backup " + backup.id() + " (ended " + backup.finished() + ", " + (backup.tarBytes() == null ? "?"
          : backup.tarBytes() >> 20) + " MB) + WAL " + firstWal + " .. " + lastWal + " (" + walFiles.size()
          + " files, " + (walBytes >> 20) + " MB), to " + target.describe();
    }
  }

  private RestorePlanner() {}

  public static Plan plan(ObjectStore store, String from, RecoveryTarget target, Path work,
      Consumer<String> progress) throws Refused, IOException {
    List<BackupInfo> complete = BackupCatalog.list(store, from).stream().filter(BackupInfo::complete).toList();
    if (complete.isEmpty()) {
      throw new Refused("cluster " + from + " has no complete base backup in " + store.describe());
    }
    String sysid = complete.get(complete.size() - 1).systemIdentifier();
    String base = from + "/" + sysid + "/";

    Path walDir = work.resolve("wal");
    if (Files.exists(walDir)) {
      try (var old = Files.list(walDir)) {
        for (Path p : (Iterable<Path>) old::iterator) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(walDir);
    List<ObjectStore.StoredObject> objects = store.list(base + "wal/");
    TreeMap<Long, String> histories = new TreeMap<>();
    for (ObjectStore.StoredObject o : objects) {
      Matcher h = HISTORY_KEY.matcher(o.key());
      if (h.matches()) {
        histories.put(Long.parseLong(h.group(1), 16), o.key());
      }
    }
    long latest = newestTimeline(objects.stream().map(ObjectStore.StoredObject::key).toList());
    for (var e : histories.entrySet()) {
      Files.write(walDir.resolve(String.format("%08X.history", e.getKey())), store.getBytes(e.getValue()).orElseThrow());
    }
    String history = Files.exists(walDir.resolve(String.format("%08X.history", latest)))
        ? Files.readString(walDir.resolve(String.format("%08X.history", latest))) : "";
    List<WalScan.Span> path = WalScan.path(latest, history);
    // a backup of a branch the newest timeline left (an in-place restore went back before it) cannot reach it
    List<BackupInfo> backups = onPath(complete.stream().filter(b -> b.systemIdentifier().equals(sysid)).toList(), path);
    if (backups.isEmpty()) {
      throw new Refused("no complete base backup of " + from + " lies on the history of its newest timeline "
          + latest + " (" + complete.size() + " complete backups are on branches it left)");
    }
    BackupInfo oldest = backups.get(0);
    long firstSegment = Lsn.parse(oldest.startLsn()) / SEG;

    TreeMap<String, String> segments = new TreeMap<>(); // file name → key (complete preferred over partial)
    for (ObjectStore.StoredObject o : objects) {
      Matcher m = WAL_KEY.matcher(o.key());
      if (m.matches() && segno(m.group(2)) >= firstSegment && (m.group(3) == null || !segments.containsKey(m.group(2)))) {
        segments.put(m.group(2), o.key());
      }
    }
    if (segments.isEmpty()) {
      throw new Refused("the archive of " + from + " holds no WAL from backup " + oldest.id() + " on");
    }
    progress.accept("downloading " + segments.size() + " WAL segments and " + histories.size()
        + " history files from " + store.describe());
    long walBytes = 0;
    for (var e : segments.entrySet()) {
      Path out = walDir.resolve(e.getKey());
      try (InputStream in = new GZIPInputStream(store.get(e.getValue()).orElseThrow(() ->
          new IOException(e.getValue() + " vanished while restoring")), 1 << 16);
          OutputStream os = Files.newOutputStream(out)) {
        walBytes += in.transferTo(os);
      }
    }
    spliceTimelineStarts(walDir, histories.keySet());

    progress.accept("reading the WAL with pg_waldump (timeline " + latest + ")");
    WalScan.Result scan = WalScan.scan(walDir, path, Lsn.parse(oldest.startLsn()));

    Instant last = scan.lastCommitTime();
    String range = "recoverable range: " + oldest.finished() + " (end of backup " + oldest.id() + ", LSN "
        + oldest.stopLsn() + ") to " + (last == null ? "?" : last.toString()) + " (last commit; WAL ends at LSN "
        + Lsn.format(scan.endLsn()) + " on timeline " + scan.endTimeline() + ")";
    BackupInfo chosen;
    String conf;
    switch (target.kind()) {
      case "latest" -> {
        chosen = backups.get(backups.size() - 1);
        conf = "";
      }
      case "immediate" -> {
        chosen = backups.get(backups.size() - 1);
        conf = setting("recovery_target", "immediate");
      }
      case "time" -> {
        Instant t = parseTime(target.value());
        if (t.isBefore(Instant.parse(oldest.finished()))) {
          throw new Refused("time " + target.value() + " is before the first recoverability point; " + range);
        }
        if (last == null || !t.isBefore(last)) {
          throw new Refused("time " + target.value() + " is not before the last commit in the archive (recovery "
              + "would end before reaching it); " + range);
        }
        chosen = newest(backups, b -> !Instant.parse(b.finished()).isAfter(t));
        conf = setting("recovery_target_time", DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS")
            .format(t.atOffset(ZoneOffset.UTC)) + "+00");
      }
      case "lsn" -> {
        long l = Lsn.parse(target.value());
        chosen = atLsn(backups, l, "LSN " + target.value(), scan, range);
        conf = setting("recovery_target_lsn", Lsn.format(l));
      }
      case "xid" -> {
        long xid = Long.parseLong(target.value());
        Optional<WalScan.Commit> c = scan.commits().stream().filter(x -> x.xid() == (xid & 0xFFFFFFFFL)).findFirst();
        if (c.isEmpty()) {
          throw new Refused("transaction " + xid + " does not end in the archive (from backup " + oldest.id() + " on); "
              + range);
        }
        if (!c.get().committed()) {
          throw new Refused("transaction " + xid + " was aborted (at LSN " + Lsn.format(c.get().lsn()) + "); " + range);
        }
        chosen = atLsn(backups, c.get().lsn(), "transaction " + xid + " (commits at LSN " + Lsn.format(c.get().lsn())
            + ", " + c.get().time() + ")", scan, range);
        conf = setting("recovery_target_xid", Long.toString(xid));
      }
      case "name" -> {
        Long l = scan.restorePoints().get(target.value());
        if (l == null) {
          throw new Refused("no restore point named '" + target.value() + "' in the archive"
              + (scan.restorePoints().isEmpty() ? "" : " (there are: " + String.join(", ", scan.restorePoints().keySet())
              + ")") + "; " + range);
        }
        chosen = atLsn(backups, l, "restore point '" + target.value() + "' (LSN " + Lsn.format(l) + ")", scan, range);
        conf = setting("recovery_target_name", target.value());
      }
      default -> throw new IllegalArgumentException("unknown target kind " + target.kind());
    }
    if (!target.inclusive() && List.of("time", "xid", "lsn").contains(target.kind())) {
      conf += "recovery_target_inclusive = false\n";
    }
    long chosenSegment = Lsn.parse(chosen.startLsn()) / SEG;
    List<String> files = new ArrayList<>();
    long bytes = 0;
    try (var list = Files.list(walDir)) {
      for (Path p : list.sorted().toList()) {
        String n = p.getFileName().toString();
        if (n.endsWith(".history") || (n.matches("[0-9A-F]{24}") && segno(n) >= chosenSegment)) {
          files.add(n);
          bytes += Files.size(p);
        }
      }
    }
    List<String> segs = files.stream().filter(n -> !n.endsWith(".history")).toList();
    return new Plan(chosen, base, walDir, files, bytes, segs.isEmpty() ? "-" : segs.get(0),
        segs.isEmpty() ? "-" : segs.get(segs.size() - 1), range, target, conf, scan.endLsn());
  }

  /**
   * One recovery setting, postgresql.conf syntax, the value quoted ({@link Quoting#confString}):
   * a restore point's name is the user's text, whatever quotes, backslashes or line breaks it holds.
   */
  static String setting(String name, String value) {
    return name + " = " + Quoting.confString(value) + "\n";
  }

  private static BackupInfo atLsn(List<BackupInfo> backups, long lsn, String what, WalScan.Result scan, String range)
      throws Refused {
    if (lsn < Lsn.parse(backups.get(0).stopLsn())) {
      throw new Refused(what + " is before the first recoverability point; " + range);
    }
    if (lsn > scan.endLsn()) {
      throw new Refused(what + " is after the end of the archive; " + range);
    }
    return newest(backups, b -> Lsn.parse(b.stopLsn()) <= lsn);
  }

  /** The newest timeline among archived WAL segments and history files (1 when there is none). */
  static long newestTimeline(List<String> walKeys) {
    long latest = 1;
    for (String key : walKeys) {
      Matcher h = HISTORY_KEY.matcher(key);
      Matcher m = WAL_KEY.matcher(key);
      if (h.matches()) {
        latest = Math.max(latest, Long.parseLong(h.group(1), 16));
      } else if (m.matches()) {
        latest = Math.max(latest, Long.parseLong(m.group(2).substring(0, 8), 16));
      }
    }
    return latest;
  }

  /**
   * The history of the newest timeline archived under {@code base} (timeline spans, oldest first):
   * what every restore follows. Its history file missing (timeline 1, or not archived) means
   * that timeline from the start.
   */
  public static List<WalScan.Span> newestPath(ObjectStore store, String base, List<String> walKeys)
      throws ObjectStoreException {
    long latest = newestTimeline(walKeys);
    Optional<byte[]> history = latest == 1 ? Optional.empty()
        : store.getBytes(WalLayout.historyKey(base, String.format("%08X.history", latest)));
    return WalScan.path(latest, history.map(b -> new String(b, java.nio.charset.StandardCharsets.UTF_8)).orElse(""));
  }

  /**
   * The backups a recovery along {@code path} (the newest timeline's history) can start from: each
   * on a timeline of the path, ended before the path left that timeline; oldest first. A backup
   * without a recorded timeline is kept.
   */
  public static List<BackupInfo> onPath(List<BackupInfo> backups, List<WalScan.Span> path) {
    return backups.stream().filter(b -> b.timeline() == null || path.stream().anyMatch(s -> s.timeline() == b.timeline()
        && (s.end() < 0 || Lsn.parse(b.stopLsn()) <= s.end()))).toList();
  }

  private static BackupInfo newest(List<BackupInfo> backups, java.util.function.Predicate<BackupInfo> before) {
    return backups.stream().filter(before).max(Comparator.comparing(BackupInfo::id)).orElse(backups.get(0));
  }

  static long segno(String name) {
    return Long.parseLong(name.substring(8, 16), 16) * (0x1_0000_0000L / SEG) + Long.parseLong(name.substring(16, 24), 16);
  }

  /**
   * The first segment of a timeline that began inside it (a switch point not on a segment
   * boundary) holds, in PostgreSQL's own archive, the parent timeline's bytes before the switch;
   * pg_receivewal writes zeros there. They are copied in from the parent's segment.
   */
  static void spliceTimelineStarts(Path walDir, java.util.Collection<Long> timelines) throws IOException {
    for (long tli : timelines) {
      Path h = walDir.resolve(String.format("%08X.history", tli));
      List<WalScan.Span> path = WalScan.path(tli, Files.readString(h));
      if (path.size() < 2) {
        continue;
      }
      WalScan.Span parent = path.get(path.size() - 2);
      long switchLsn = parent.end();
      long offset = switchLsn % SEG;
      if (offset == 0) {
        continue;
      }
      long segno = switchLsn / SEG;
      long perId = 0x1_0000_0000L / SEG;
      Path child = walDir.resolve(String.format("%08X%08X%08X", tli, segno / perId, segno % perId));
      Path from = walDir.resolve(String.format("%08X%08X%08X", parent.timeline(), segno / perId, segno % perId));
      if (!Files.exists(child) || !Files.exists(from)) {
        continue;
      }
      byte[] head = new byte[(int) offset];
      try (RandomAccessFile p = new RandomAccessFile(from.toFile(), "r")) {
        p.readFully(head);
      }
      Path tmp = child.resolveSibling(child.getFileName() + ".splice");
      Files.copy(child, tmp, StandardCopyOption.REPLACE_EXISTING);
      try (RandomAccessFile c = new RandomAccessFile(tmp.toFile(), "rw")) {
        c.seek(0);
        c.write(head);
      }
      Files.move(tmp, child, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  /** ISO-8601 with an offset, or PostgreSQL's "YYYY-MM-DD HH:MM:SS[.ffffff][+TZ]" (no zone: UTC). */
  public static Instant parseTime(String s) {
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (java.time.format.DateTimeParseException e) {
      Matcher m = PG_TIME.matcher(s.strip());
      if (!m.matches()) {
        throw new IllegalArgumentException("not a time: " + s);
      }
      String zone = m.group(3) == null || m.group(3).equals("Z") ? "+00:00" : m.group(3);
      if (zone.length() == 3) {
        zone += ":00";
      } else if (!zone.contains(":")) {
        zone = zone.substring(0, 3) + ":" + zone.substring(3);
      }
      try {
        return java.time.LocalDateTime.of(LocalDate.parse(m.group(1)), LocalTime.parse(m.group(2)))
            .atOffset(ZoneOffset.of(zone)).toInstant();
      } catch (java.time.DateTimeException bad) { // month 13, hour 99, offset +99
        throw new IllegalArgumentException("not a time: " + s + " (" + bad.getMessage() + ")", bad);
      }
    }
  }
}
