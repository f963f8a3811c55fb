package io.pgherd.cli;

import io.pgherd.api.BackupConfig;
import io.pgherd.api.SpecValidator;
import io.pgherd.backup.RestorePlanner;
import io.pgherd.model.RecoveryTarget;
import io.pgherd.objectstore.ObjectStore;
import io.pgherd.objectstore.ObjectStores;
import io.pgherd.store.ControlRequest;
import io.pgherd.store.Home;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "restore", description = {
    "Point-in-time recovery of a cluster in place, from its own backups: the plan is made (a refused target",
    "changes nothing), writes stop, every member is replaced by new ones restored to the target (the old",
    "members and volumes are kept until the restore has succeeded, and started again if it fails).",
    "Asks for confirmation unless --yes. With --dry-run: only which backup and WAL it would use.",
    "To restore into a new cluster instead, apply a spec with spec.bootstrap.recovery."})
final class RestoreCommand implements Callable<Integer> {
  @Mixin HomeOption home;

  @Parameters(index = "0", description = "cluster name (whose backups are read)")
  String name;

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Target target = new Target();

  static final class Target {
    @Option(names = "--to-time", paramLabel = "TIME", description = "e.g. 2026-11-26T05:00:00Z")
    String time;

    @Option(names = "--to-xid", paramLabel = "XID", description = "a transaction id: stop after its commit")
    String xid;

    @Option(names = "--to-lsn", paramLabel = "LSN", description = "a WAL location, e.g. 0/3000060")
    String lsn;

    @Option(names = "--to-name", paramLabel = "NAME", description = "a restore point (pg_create_restore_point)")
    String name;

    @Option(names = "--immediate", description = "the end of the newest base backup")
    boolean immediate;
  }

  @Option(names = "--exclusive", description = "stop just before the time, xid or LSN (default: just after)")
  boolean exclusive;

  @Option(names = "--dry-run", description = "only say what the restore would use; change nothing")
  boolean dryRun;

  @Option(names = {"-y", "--yes"}, description = "do not ask for confirmation")
  boolean yes;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "1800",
      description = "how long to wait for the restore to end (default: ${DEFAULT-VALUE})")
  long timeoutSeconds;

  @Override
  public Integer call() throws Exception {
    if (timeoutSeconds <= 0) {
      throw new Main.UserError("--timeout must be a positive number of seconds, got " + timeoutSeconds, 2);
    }
    RecoveryTarget t = target(); // a bad target is refused before the cluster is looked at
    BackupConfig cfg = home.backupConfig(name);
    plan(cfg, t);
    if (dryRun) {
      return 0;
    }
    if (!yes) {
      java.io.Console console = System.console();
      if (console == null) {
        throw new Main.UserError("restoring " + name + " in place replaces all of its members: confirm with --yes"
            + " (no terminal to ask on)", 2);
      }
      String reply = console.readLine("Restore %s in place to %s? Writes stop now; its members are replaced"
          + " (kept until the restore has succeeded). [y/N] ", name, t.describe());
      if (reply == null || !reply.strip().equalsIgnoreCase("y") && !reply.strip().equalsIgnoreCase("yes")) {
        System.err.println("nothing done");
        return 1;
      }
    }
    Home h = home.home();
    ControlRequest request = new ControlRequest(PrimaryChange.newId(),
        ControlRequest.RESTORE, null, false, java.time.Instant.now().toString(), t);
    String[] last = {null};
    return PrimaryChange.submitAndWait(h, name, request, java.time.Duration.ofSeconds(timeoutSeconds), () -> {
      String now = h.readStatus(name).map(s -> s.getRestore() == null ? null : s.getRestore().getMessage()).orElse(null);
      if (now != null && !now.equals(last[0])) {
        System.err.println("  " + now);
        last[0] = now;
      }
    });
  }

  /** The plan (printed), or the refusal with the recoverable range (exit 1): before anything is asked or changed. */
  private void plan(BackupConfig cfg, RecoveryTarget t) throws Exception {
    Path work = Files.createTempDirectory("pgherd-restore-plan-");
    try (ObjectStore store = ObjectStores.open(cfg.store(), home.home().root(), System::getenv)) {
      RestorePlanner.Plan plan = RestorePlanner.plan(store, name, t, work, line -> System.err.println(line));
      System.out.println((dryRun ? "would restore " : "restore ") + plan.describe());
      System.out.println(plan.range());
      System.out.print("recovery settings: " + (plan.recoveryConf().isEmpty() ? "(none: replay all the WAL)\n"
          : "\n" + plan.recoveryConf().replaceAll("(?m)^", "  ")));
    } catch (RestorePlanner.Refused e) {
      throw new Main.UserError("restore refused: " + e.getMessage(), 1);
    } finally {
      try (var walk = Files.walk(work)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private RecoveryTarget target() {
    boolean inclusive = !exclusive;
    if (target.time != null) {
      try {
        RestorePlanner.parseTime(target.time);
      } catch (IllegalArgumentException e) {
        throw new Main.UserError("--to-time: not a time: " + SpecValidator.quoted(target.time)
            + " (e.g. 2026-11-26T05:00:00Z)", 2);
      }
      return new RecoveryTarget("time", target.time, inclusive);
    }
    if (target.xid != null) {
      if (!SpecValidator.isTransactionId(target.xid)) {
        throw new Main.UserError("--to-xid: not a transaction id (digits, at most 9223372036854775807): "
            + SpecValidator.quoted(target.xid), 2);
      }
      return new RecoveryTarget("xid", target.xid, inclusive);
    }
    if (target.lsn != null) {
      if (!target.lsn.matches("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}")) {
        throw new Main.UserError("--to-lsn: not a WAL location: " + SpecValidator.quoted(target.lsn)
            + " (e.g. 0/3000060)", 2);
      }
      return new RecoveryTarget("lsn", target.lsn.toUpperCase(), inclusive);
    }
    if (target.name != null) {
      if (target.name.isEmpty() || target.name.length() > 63) {
        throw new Main.UserError("--to-name: a restore point name has 1 to 63 characters", 2);
      }
      if (target.name.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
        throw new Main.UserError("--to-name: a restore point name has no line breaks or control characters, got "
            + SpecValidator.quoted(target.name), 2);
      }
      return new RecoveryTarget("name", target.name, true);
    }
    if (target.immediate) {
      return new RecoveryTarget("immediate", null, true);
    }
    return RecoveryTarget.latest();
  }
}
