package io.pgherd.backup;

import io.pgherd.model.Lsn;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a directory of WAL holds, read by PostgreSQL's own {@code pg_waldump}: every commit (xid,
 * LSN, time), every restore point (name, LSN) and where the valid WAL ends, along the timeline
 * path of a history file. Restores use it to check a target before anything is touched.
 */
public final class WalScan {
  /**
   * A record line, up to its description: {@code rmgr: XLOG len (rec/tot): 98/ 98, tx: 0, lsn:
   * 0/01516788, prev 0/01516760, desc: RESTORE_POINT name}. Anchored, so that a restore point's
   * name (the user's text, printed as it is) is only ever read as the description of its own
   * record: one named "desc: COMMIT 2030-01-01 00:00:00 UTC" is not a commit.
   */
  private static final Pattern RECORD = Pattern.compile(
      "^rmgr: (\\S+)\\s+len \\(rec/tot\\):\\s*\\d+/\\s*\\d+, tx:\\s+(\\d+), lsn: ([0-9A-F]+/[0-9A-F]+), "
          + "prev [0-9A-F]+/[0-9A-F]+, desc: (.*)$", Pattern.DOTALL);
  private static final Pattern COMMIT = Pattern.compile(
      "^(COMMIT|ABORT) (\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?) UTC");
  private static final String RESTORE_POINT = "RESTORE_POINT ";
  private static final Pattern END = Pattern.compile("invalid record length at ([0-9A-F]+/[0-9A-F]+)"
      + "|could not find a valid record after ([0-9A-F]+/[0-9A-F]+)|invalid magic number .* offset \\d+"
      + "|contrecord is requested by ([0-9A-F]+/[0-9A-F]+)");
  private static final DateTimeFormatter PG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss[.SSSSSS]");

  /** One timeline's part of the path: [begin, end) (end -1: open). */
  public record Span(long timeline, long begin, long end) {}

  public record Commit(long xid, long lsn, Instant time, boolean committed) {}

  public record Result(List<Commit> commits, Map<String, Long> restorePoints, long endLsn, long endTimeline) {
    public Instant lastCommitTime() {
      return commits.stream().filter(Commit::committed).map(Commit::time).reduce((a, b) -> b).orElse(null);
    }
  }

  /** A restore point: its name exactly as pg_create_restore_point() was given it, and its LSN. */
  public record RestorePoint(String name, long lsn) {}

  private WalScan() {}

  /**
   * What one line of pg_waldump's output is: a {@link Commit} (an abort too), a {@link
   * RestorePoint}, or null. A restore point's name is kept as it is, spaces at either end included.
   */
  static Object record(String line) {
    Matcher r = RECORD.matcher(line);
    if (!r.matches()) {
      return null;
    }
    String rmgr = r.group(1);
    String desc = r.group(4);
    if (rmgr.equals("Transaction")) {
      Matcher m = COMMIT.matcher(desc);
      if (m.find()) {
        return new Commit(Long.parseLong(r.group(2)), Lsn.parse(r.group(3)),
            LocalDateTime.parse(m.group(2), PG_TIME).toInstant(ZoneOffset.UTC), m.group(1).equals("COMMIT"));
      }
    } else if (rmgr.equals("XLOG") && desc.startsWith(RESTORE_POINT)) {
      return new RestorePoint(desc.substring(RESTORE_POINT.length()), Lsn.parse(r.group(3)));
    }
    return null;
  }

  /**
   * The timeline path ending at {@code timeline}: its history file's lines (parent, switch point)
   * become spans, the last one open.
   */
  public static List<Span> path(long timeline, String history) {
    List<Span> out = new ArrayList<>();
    long begin = 0;
    for (String line : history.split("\n")) {
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      String[] f = t.split("\\s+");
      long tli = Long.parseLong(f[0]);
      long end = Lsn.parse(f[1]);
      out.add(new Span(tli, begin, end));
      begin = end;
    }
    out.add(new Span(timeline, begin, -1));
    return out;
  }

  /** Scans dir along the path, from start on. */
  public static Result scan(Path dir, List<Span> path, long start) throws IOException {
    List<Commit> commits = new ArrayList<>();
    Map<String, Long> points = new LinkedHashMap<>();
    long end = start;
    long endTimeline = path.get(path.size() - 1).timeline();
    for (Span s : path) {
      if (s.end() >= 0 && s.end() <= start) {
        continue;
      }
      long from = Math.max(start, s.begin());
      List<String> cmd = new ArrayList<>(List.of(waldump(), "--path=" + dir, "--timeline=" + s.timeline(),
          "--start=" + Lsn.format(from)));
      if (s.end() >= 0) {
        cmd.add("--end=" + Lsn.format(s.end()));
      }
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      ChildEnvironment.restrict(pb.environment());
      Process p = pb.start();
      String last = "";
      try (InputStream in = p.getInputStream();
          var r = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          Object record = record(line);
          if (record instanceof Commit commit) {
            commits.add(commit);
            continue;
          }
          if (record instanceof RestorePoint point) {
            points.putIfAbsent(point.name(), point.lsn());
            continue;
          }
          if (line.startsWith("pg_waldump:")) {
            last = line;
          }
        }
      }
      try {
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
          p.destroyForcibly();
          throw new IOException("pg_waldump did not finish within 10 minutes");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
      if (s.end() >= 0) {
        end = s.end();
        continue;
      }
      Matcher m = END.matcher(last);
      if (m.find() && (m.group(1) != null || m.group(2) != null || m.group(3) != null)) {
        end = Lsn.parse(m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3));
      } else if (!commits.isEmpty()) {
        end = Math.max(end, commits.get(commits.size() - 1).lsn());
      }
      if (!last.isEmpty() && !last.contains("invalid record length") && !last.contains("could not find")
          && commits.isEmpty() && points.isEmpty()) {
        throw new IOException("pg_waldump cannot read the archive's WAL: " + last);
      }
    }
    return new Result(commits, points, end, endTimeline);
  }

  static String waldump() {
    for (String dir : List.of("/usr/lib/postgresql/15/bin", "/usr/local/bin", "/usr/bin")) {
      if (Files.isExecutable(Path.of(dir, "pg_waldump"))) {
        return dir + "/pg_waldump";
      }
    }
    return "pg_waldump";
  }
}
