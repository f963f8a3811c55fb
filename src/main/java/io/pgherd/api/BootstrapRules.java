package io.pgherd.api;

import static io.pgherd.api.SpecErrors.quote;
import static io.pgherd.api.SpecValidator.isTransactionId;

import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rules of {@code spec.bootstrap.recovery}: the cluster whose backups are restored, and at most
 * one recovery target (a time, a transaction id, a WAL location, a restore point name, or
 * {@code immediate}), each well formed.
 */
final class BootstrapRules extends SectionRules {
  private static final Pattern LSN = Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");
  private static final Pattern PG_TIME = Pattern.compile(
      "([0-9]{4}-[0-9]{2}-[0-9]{2}) ([0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]{1,6})?)"
          + "(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?");

  BootstrapRules(Collector c) {
    super(c);
  }

  void bootstrap(BootstrapSpec bootstrap) {
    if (bootstrap == null || bootstrap.getRecovery() == null) {
      return;
    }
    RecoverySpec recovery = bootstrap.getRecovery();
    String base = "spec.bootstrap.recovery";
    if (recovery.getFrom() == null) {
      c.error(base + ".from", "required: the cluster whose backups are restored, e.g. from: { cluster: demo }");
    } else {
      clusterName(base + ".from.cluster", recovery.getFrom().getCluster());
    }
    RecoveryTargetSpec target = recovery.getTarget();
    if (target == null) {
      return;
    }
    String tbase = base + ".target";
    List<String> set = new ArrayList<>();
    if (target.getTime() != null) {
      set.add("time");
      if (!isRecoveryTime(target.getTime())) {
        c.error(tbase + ".time", "must be a timestamp such as 2024-05-01T10:00:00Z or"
            + " '2024-05-01 10:00:00+00', got " + quote(target.getTime()));
      }
    }
    if (target.getXid() != null) {
      set.add("xid");
      if (!isTransactionId(target.getXid())) {
        c.error(tbase + ".xid", "must be a transaction id (digits, at most 9223372036854775807), got "
            + quote(target.getXid()));
      }
    }
    if (target.getLsn() != null) {
      set.add("lsn");
      if (!LSN.matcher(target.getLsn()).matches()) {
        c.error(tbase + ".lsn", "must be a WAL location such as 0/3000060, got " + quote(target.getLsn()));
      }
    }
    if (target.getName() != null) {
      set.add("name");
      if (target.getName().isEmpty() || target.getName().length() > 63) {
        c.error(tbase + ".name", "must be a restore point name of 1 to 63 characters");
      } else if (target.getName().chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
        c.error(tbase + ".name", "must not contain line breaks or control characters, got " + quote(target.getName()));
      }
    }
    if (Boolean.TRUE.equals(target.getImmediate())) {
      set.add("immediate");
    }
    if (set.size() > 1) {
      c.error(tbase, "at most one of time, xid, lsn, name, immediate may be set, got "
          + String.join(", ", set));
    }
    if (target.getInclusive() != null && !set.contains("time") && !set.contains("xid")
        && !set.contains("lsn")) {
      c.warning(tbase + ".inclusive", "has no effect without time, xid or lsn");
    }
  }

  static boolean isRecoveryTime(String s) {
    try {
      OffsetDateTime.parse(s);
      return true;
    } catch (DateTimeParseException e) {
      // not ISO-8601 with an offset; try PostgreSQL's own format
    }
    Matcher m = PG_TIME.matcher(s);
    if (!m.matches()) {
      return false;
    }
    try {
      LocalDate.parse(m.group(1));
      LocalTime.parse(m.group(2));
    } catch (DateTimeParseException e) {
      return false;
    }
    if (m.group(3) != null && !m.group(3).equals("Z")) {
      String digits = m.group(3).substring(1).replace(":", "");
      int hours = Integer.parseInt(digits.substring(0, 2));
      int minutes = digits.length() > 2 ? Integer.parseInt(digits.substring(2)) : 0;
      return hours <= 15 && minutes < 60;
    }
    return true;
  }
}
