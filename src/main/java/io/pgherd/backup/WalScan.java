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
  private static final Pattern COMMIT = Pattern.compile(
      "tx:\\s+(\\d+), lsn: ([0-9A-F]+/[0-9A-F]+),.*desc: (COMMIT|ABORT) (\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?) UTC");
  private static final Pattern RESTORE_POINT = Pattern.compile("lsn: ([0-9A-F]+/[0-9A-F]+),.*desc: RESTORE_POINT (.*)$");
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

  private WalScan() {}

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
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String last = "";
      try (InputStream in = p.getInputStream();
          var r = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          Matcher m = COMMIT.matcher(line);
          if (m.find()) {
            commits.add(new Commit(Long.parseLong(m.group(1)), Lsn.parse(m.group(2)),
                LocalDateTime.parse(m.group(4), PG_TIME).toInstant(ZoneOffset.UTC), m.group(3).equals("COMMIT")));
            continue;
          }
          Matcher rp = RESTORE_POINT.matcher(line);
          if (rp.find()) {
            points.putIfAbsent(rp.group(2).strip(), Lsn.parse(rp.group(1)));
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
