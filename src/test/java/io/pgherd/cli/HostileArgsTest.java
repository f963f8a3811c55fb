package io.pgherd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.model.Topology;
import io.pgherd.store.Home;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile command lines through {@link Main#run}: unknown clusters, names that are no cluster
 * names (';', quotes, ../, unicode, 5000 characters, NUL), bad members and restore targets,
 * unknown options and missing values. Each exits non-zero with a message naming the bad argument,
 * prints no stack trace, changes no file of the home and never reaches the Docker engine: the
 * DOCKER_HOST system property names a socket that does not exist, whose address would show in the
 * error of any command that tried.
 */
class HostileArgsTest {
  static final String NO_DOCKER = "unix:///nonexistent/pgherd-hostile-args/docker.sock";

  @TempDir static Path tmp;
  static Path home;
  private static String savedDockerHost;

  @BeforeAll
  static void aHomeWithTwoClusters() throws IOException {
    savedDockerHost = System.getProperty("DOCKER_HOST");
    System.setProperty("DOCKER_HOST", NO_DOCKER);
    home = tmp.resolve("home");
    for (String f : List.of("demo.yaml", "s3-backup.yaml")) {
      Cli r = cli("apply", "-f", Path.of("manifests", f).toString(), "--home", home.toString());
      assertThat(r.code()).as(r.err()).isZero();
    }
    new Home(home).writeState("demo", new Topology(List.of(1, 2, 3), 4, 1));
  }

  @AfterAll
  static void restoreDockerHost() {
    if (savedDockerHost == null) {
      System.clearProperty("DOCKER_HOST");
    } else {
      System.setProperty("DOCKER_HOST", savedDockerHost);
    }
  }

  record Cli(int code, String out, String err) {}

  static synchronized Cli cli(String... args) {
    PrintStream savedOut = System.out;
    PrintStream savedErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int code = Main.run(args);
      return new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(savedOut);
      System.setErr(savedErr);
    }
  }

  /** Runs {@code args} (with --home) and checks it is refused with {@code expected} in the error. */
  static void refused(String expected, String... args) {
    Map<String, byte[]> before = snapshot(home);
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(1, List.of("--home", home.toString())); // after the command, before what is tested
    Cli r = cli(all.toArray(String[]::new));
    String what = String.join(" ", args).replace("\n", "\\n");
    assertThat(r.code()).as(what + " → " + r.err()).isNotZero();
    assertThat(r.err()).as(what).contains(expected)
        .doesNotContain("\tat ", "Exception", "java.", NO_DOCKER, "/nonexistent/");
    assertThat(sameFiles(before, snapshot(home))).as(what + ": the home changed").isTrue();
  }

  static final List<String> COMMANDS = List.of(
      "status", "get", "logs", "delete", "restore", "backup", "backups", "switchover", "failover", "psql");

  /** The rest of a command line that needs more than the name. */
  static String[] withName(String command, String name) {
    return command.equals("failover") ? new String[] {command, name, "--to", "demo-2"} : new String[] {command, name};
  }

  @Test
  void anUnknownClusterIsNamedByEveryCommand() {
    for (String command : COMMANDS) {
      refused("no cluster named 'nope'", withName(command, "nope"));
    }
  }

  @Test
  void aNameNoClusterCanHaveIsRefusedBeforeAnyFileIsLookedAt() {
    List<String> names = List.of(";", "a;b", "demo; rm -rf /", "a'b", "\"demo\"", "$(reboot)", "`id`",
        "../clusters/demo", "../../etc/passwd", "demo/../demo", ".", "..", "démo", "demo\u202E", "日本", "d\u0301emo",
        "DEMO", "demo\n", "demo\u0000x", "x".repeat(5000), "demo_1", " demo");
    for (String command : COMMANDS) {
      for (String name : names) {
        refused("not a cluster name", withName(command, name));
      }
      refused("not a cluster name: ''", withName(command, ""));
    }
  }

  @Test
  void aNameThatLooksLikeAnOptionIsAnOptionAndTheNameIsMissing() {
    // picocli takes -demo for an option; what it says is that the name is missing (get: its name is optional)
    for (String command : COMMANDS) {
      refused(command.equals("get") ? "Unknown option: '-demo'" : "Missing required parameter: '<name>'",
          withName(command, "-demo"));
    }
  }

  @Test
  void aMemberThatIsNoneOfTheClustersIsRefusedBeforeAnythingIsRequested() {
    for (String command : List.of("switchover", "failover")) {
      refused("--to: 'x'; drop table x; --' is not a member of demo", command, "demo", "--to", "x'; drop table x; --");
      refused("--to: '' is not a member of demo", command, "demo", "--to", "");
      refused("is not a member of demo", command, "demo", "--to", "demo-0");
      refused("is not a member of demo", command, "demo", "--to", "demo--1");
      refused("is not a member of demo", command, "demo", "--to", "demo-+1");
      refused("is not a member of demo", command, "demo", "--to", "demo-99999999999999999999");
      refused("is not a member of demo", command, "demo", "--to", "other-1");
      refused("is not a member of demo", command, "demo", "--to", "demo-1\u202E");
      refused("--to: demo has no member demo-7 (its members: demo-1, demo-2, demo-3)", command, "demo", "--to", "demo-7");
    }
    refused("Missing required option: '--to=MEMBER'", "failover", "demo");
  }

  @Test
  void aBadRestoreTargetIsRefusedNamingTheOption() {
    refused("--to-time: not a time: 'notatime'", "restore", "s3-backup", "--to-time", "notatime");
    // each came out as "error: java.time.format.DateTimeParseException: ..." or "java.time.DateTimeException"
    refused("--to-time: not a time: '2026-13-45T99:00:00Z'", "restore", "s3-backup", "--to-time", "2026-13-45T99:00:00Z");
    refused("--to-time: not a time", "restore", "s3-backup", "--to-time", "2026-11-26 10:00:00+99");
    refused("--to-time: not a time", "restore", "s3-backup", "--to-time", "2026-02-30 10:00:00");
    refused("--to-xid: not a transaction id (digits, at most 9223372036854775807): '-1'",
        "restore", "s3-backup", "--to-xid", "-1");
    refused("--to-xid: not a transaction id (digits, at most 9223372036854775807): '99999999999999999999'",
        "restore", "s3-backup", "--to-xid", "99999999999999999999");
    refused("--to-xid: not a transaction id", "restore", "s3-backup", "--to-xid", "9223372036854775808");
    refused("--to-xid: not a transaction id", "restore", "s3-backup", "--to-xid", "12; drop");
    refused("--to-lsn: not a WAL location: 'zz/zz'", "restore", "s3-backup", "--to-lsn", "zz/zz");
    refused("--to-lsn: not a WAL location", "restore", "s3-backup", "--to-lsn", "0/123456789");
    refused("--to-name: a restore point name has no line breaks or control characters",
        "restore", "s3-backup", "--to-name", "a'; select 1; --\nb");
    refused("--to-name: a restore point name has 1 to 63 characters", "restore", "s3-backup", "--to-name", "");
    refused("--to-name: a restore point name has 1 to 63 characters", "restore", "s3-backup", "--to-name",
        "x".repeat(64));
    refused("mutually exclusive", "restore", "s3-backup", "--to-xid", "5", "--to-lsn", "0/1");
    refused("--timeout must be a positive number of seconds, got -5", "restore", "s3-backup", "--timeout", "-5");
    // the target is checked before the cluster: the option is named even for a cluster without backups
    refused("--to-xid: not a transaction id", "restore", "demo", "--to-xid", "-1");
  }

  @Test
  void unknownOptionsAndMissingValuesAreUsageErrors() {
    refused("Unknown option: '--bogus'", "status", "demo", "--bogus");
    refused("Unknown options: '--to', 'demo-2'", "status", "demo", "--to", "demo-2");
    refused("Missing required parameter for option '--to-time'", "restore", "s3-backup", "--to-time");
    refused("Missing required parameter for option '--to'", "switchover", "demo", "--to");
    refused("Invalid value for option '--timeout': 'abc' is not a long", "switchover", "demo", "--timeout", "abc");
    refused("Invalid value for option '--timeout'", "switchover", "demo", "--timeout", "99999999999999999999");
    refused("--timeout must be positive", "switchover", "demo", "--timeout", "0");
    refused("Missing required parameter: '<name>'", "status");
    refused("Unmatched argument at index 4: 'extra'", "status", "demo", "extra");
    refused("Unmatched argument", "frobnicate");
    refused("Missing required option: '--filename=<file>'", "apply");
    refused("cannot read " + tmp.resolve("absent.yaml") + ": no such file", "apply", "-f", tmp.resolve("absent.yaml").toString());
    refused("cannot read " + tmp + ": a directory, not a file", "apply", "-f", tmp.toString());
    refused("cannot read /dev/null: not a regular file", "apply", "-f", "/dev/null");
    refused("-o must be json, yaml or table, got 'xml'", "status", "demo", "-o", "xml");
    refused("-o must be yaml, json or table, got 'x'", "get", "demo", "-o", "x");
    refused("--interval must be between 0.2 and 3600 seconds", "status", "demo", "-w", "--interval", "NaN");
    refused("--encryption: must be auto, on or off, got 'yes'", "operator", "deploy", "--encryption", "yes");
    refused("--replicas: must be 1 to 7, got 0", "operator", "deploy", "--replicas", "0");
    refused("--replicas: must be 1 to 7, got 8", "operator", "deploy", "--replicas", "8");
  }

  @Test
  void noHomeOptionValueIsAUsageError() {
    Cli r = cli("status", "demo", "--home");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("Missing required parameter for option '--home'").doesNotContain("\tat ");
  }

  static Map<String, byte[]> snapshot(Path root) {
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.toList()) {
        files.put(root.relativize(p).toString(), Files.isDirectory(p) ? new byte[0] : Files.readAllBytes(p));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return files;
  }

  static boolean sameFiles(Map<String, byte[]> a, Map<String, byte[]> b) {
    return a.keySet().equals(b.keySet())
        && a.entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), b.get(e.getKey())));
  }
}
