package io.pgherd.cli;

import io.pgherd.docker.DockerGateway;
import io.pgherd.docker.EngineCalls;
import io.pgherd.runtime.EngineUnavailableException;
import io.pgherd.swarm.RemoteCli;
import io.pgherd.swarm.SwarmManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The command line on a Docker Swarm (DOCKER_HOST a manager whose Swarm runs pgherd's operator, or
 * {@code PGHERD_RUNTIME=swarm}): the
 * commands that act on clusters go to the operator's service wherever it runs
 * ({@link RemoteCli}) — the files they name travel with them — and its answer is printed here.
 * The operator's own commands ({@code operator}, {@code up}) stay local; {@code status -w} and
 * {@code logs -f} ask again and again from here.
 */
final class RemoteCommand {
  /** The commands that travel. */
  static final Set<String> FORWARDED = Set.of("apply", "get", "status", "logs", "switchover", "failover", "delete",
      "backup", "backups", "restore");
  /** The placeholder for the n-th file in a request's arguments. */
  static final String FILE = "@pgherd-file:";
  /** How long the operator may take to answer (apply --wait, a backup...). */
  static final Duration TIMEOUT = Duration.ofMinutes(30);

  private RemoteCommand() {}

  /** Where a command line runs: here, at the operator's service, or there if this engine's Swarm has one (auto). */
  enum Route { LOCAL, FORWARD, IF_SWARM_OPERATOR }

  /** Set in the operator's image (and its child processes): a command run there acts on the operator's own home. */
  static final String SERVED_ENV = "PGHERD_IN_OPERATOR";

  /**
   * Whether {@code args} go to the operator's service: a command that travels, not interactive,
   * with the Swarm asked for (FORWARD) or runtime auto (IF_SWARM_OPERATOR: when DOCKER_HOST is a
   * Swarm manager whose Swarm runs pgherd's operator).
   */
  static Route route(String[] args, Map<String, String> env) {
    if (args.length == 0 || !FORWARDED.contains(args[0]) || env.containsKey(SERVED_ENV)) {
      return Route.LOCAL;
    }
    for (String a : args) {
      if (a.equals("-h") || a.equals("--help")) {
        return Route.LOCAL;
      }
    }
    String runtime = env.get(RuntimeOption.ENV);
    String r = runtime == null ? "" : runtime.trim().toLowerCase(Locale.ROOT);
    return switch (r) {
      case "swarm" -> Route.FORWARD;
      case "", "auto" -> Route.IF_SWARM_OPERATOR;
      default -> Route.LOCAL; // docker, or a bad value the command itself refuses
    };
  }

  /** Whether a command that reads the operator's home (psql) asks the Swarm's operator instead: as {@link #route} decides. */
  static boolean onSwarm(Map<String, String> env) {
    Route r = route(new String[] {"get"}, env);
    return r == Route.FORWARD || (r == Route.IF_SWARM_OPERATOR && swarmOperatorAnswers(new String[0], env));
  }

  /**
   * auto: whether the engine DOCKER_HOST names is a Swarm manager with pgherd's operator service,
   * asked briefly (2 s to connect, 3 s to answer). No when this machine's home has clusters of its
   * own (an operator runs them here: its commands stay here), when the engine does not answer or
   * cannot be asked, or is no manager: the command runs here as on one engine, and an engine that
   * answered oddly is said on stderr. A manager whose Swarm cannot answer (no leader) is an error
   * that says so.
   */
  static boolean swarmOperatorAnswers(String[] args, Map<String, String> env) {
    for (String a : args) {
      if (a.equals("--home") || a.startsWith("--home=")) {
        return false; // a home named: that home's operator
      }
    }
    if (!localHomeIsEmpty(env)) {
      return false;
    }
    try (DockerGateway docker = DockerGateway.connectBriefly()) {
      EngineCalls calls = new EngineCalls(docker.host());
      SwarmManager.Role role;
      try {
        role = SwarmManager.role(docker.client(), calls);
      } catch (EngineUnavailableException e) {
        return false;
      }
      if (role != SwarmManager.Role.MANAGER) {
        return false;
      }
      try {
        SwarmManager.check(docker.client(), calls, docker.host());
      } catch (EngineUnavailableException e) {
        throw new Main.UserError(e.getMessage() + " (runtime auto; PGHERD_RUNTIME=docker runs the command on this"
            + " engine's home instead)", 1);
      }
      return new io.pgherd.swarm.OperatorService(docker.client(), docker.host()).any().isPresent();
    } catch (Main.UserError e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      System.err.println("note: the Docker engine could not say whether it is a Swarm manager running pgherd's"
          + " operator (" + e.getMessage() + "); the command runs on this machine's home");
      return false;
    }
  }

  /** Whether the home this command line would use ({@code PGHERD_HOME}, else the default) has no cluster. */
  static boolean localHomeIsEmpty(Map<String, String> env) {
    String dir = env.get("PGHERD_HOME");
    java.nio.file.Path home = dir == null || dir.isBlank() ? java.nio.file.Path.of(System.getProperty("user.home"), ".pgherd")
        : java.nio.file.Path.of(dir);
    try {
      return !Files.isDirectory(home) || new io.pgherd.store.Home(home).clusters().isEmpty();
    } catch (RuntimeException e) {
      return true; // unreadable: nothing of ours there
    }
  }

  /** The request for {@code args}: each {@code -f FILE} read here, its content carried, its name a placeholder. */
  static RemoteCli.Request request(String[] args) {
    List<String> out = new ArrayList<>();
    Map<String, String> files = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (repeats(args[0], a)) {
        continue; // asked again and again from here (see forward)
      }
      String file = a.equals("-f") || a.equals("--filename") ? (i + 1 < args.length ? args[++i] : null)
          : a.startsWith("--filename=") ? a.substring("--filename=".length()) : null;
      if (file == null) {
        out.add(a);
        continue;
      }
      if (file.equals("-")) {
        throw new Main.UserError("-f -: a spec from standard input does not travel through the Swarm; name a file", 2);
      }
      try {
        files.put(Integer.toString(files.size()), RemoteCli.encode(Files.readAllBytes(Path.of(file))));
      } catch (IOException e) {
        throw new Main.UserError("cannot read " + file + ": " + e.getMessage(), 2);
      }
      out.add("-f");
      out.add(FILE + (files.size() - 1));
    }
    return new RemoteCli.Request(out, files);
  }

  /** {@code status -w} and {@code logs -f}: the one-shot command asked again every so often from here. */
  static boolean repeats(String command, String arg) {
    return (command.equals("status") && (arg.equals("-w") || arg.equals("--watch")))
        || (command.equals("logs") && (arg.equals("-f") || arg.equals("--follow")));
  }

  /** Seconds between two asks of a repeated command: status's --interval (default 2), 1 for logs -f. */
  static double interval(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String v = args[i].equals("--interval") && i + 1 < args.length ? args[i + 1]
          : args[i].startsWith("--interval=") ? args[i].substring("--interval=".length()) : null;
      if (v != null) {
        try {
          return Double.parseDouble(v);
        } catch (NumberFormatException e) {
          return 2; // the operator's command refuses it, and says why
        }
      }
    }
    return args[0].equals("logs") ? 1 : 2;
  }

  /** Sends the command to the operator's service and prints its answer; its exit code. */
  static int forward(String[] args) {
    RemoteCli.Request request = request(args);
    boolean repeated = false;
    for (String a : args) {
      repeated |= repeats(args[0], a);
    }
    try (DockerGateway docker = DockerGateway.connect()) {
      EngineCalls calls = new EngineCalls(docker.host());
      SwarmManager.check(docker.client(), calls, docker.host());
      if (new io.pgherd.swarm.OperatorService(docker.client(), docker.host()).any().isEmpty()) {
        throw new Main.UserError("no operator on the Swarm of " + docker.host() + ": no service is labelled"
            + " io.pgherd.component=operator (`pgherd operator deploy` or swarm-stack.yml makes one); nothing was changed", 1);
      }
      RemoteCli remote = new RemoteCli(docker.client(), calls);
      if (!repeated) {
        RemoteCli.Answer a = ask(remote, request);
        System.out.print(a.output());
        return a.exitCode();
      }
      long pause = (long) (Math.max(0.2, interval(args)) * 1000);
      List<String> printed = List.of();
      while (true) { // until Ctrl-C, as on one engine
        RemoteCli.Answer a = ask(remote, request);
        if (a.exitCode() != 0) {
          System.out.print(a.output());
          return a.exitCode();
        }
        if (args[0].equals("status")) {
          System.out.print("\033[H\033[2J");
          System.out.printf("Every %ss: pgherd status (through the Swarm)    %s%n%n", interval(args),
              java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
          System.out.print(a.output());
        } else {
          List<String> lines = List.of(a.output().split("\n", -1));
          lines.subList(newFrom(printed, lines), lines.size()).stream().filter(l -> !l.isEmpty())
              .forEach(System.out::println);
          printed = lines;
        }
        System.out.flush();
        Thread.sleep(pause);
      }
    } catch (EngineUnavailableException e) {
      throw new Main.UserError(e.getMessage() + " (PGHERD_RUNTIME=swarm: DOCKER_HOST must name a Swarm manager)", 1);
    } catch (IOException e) {
      throw new Main.UserError("cannot reach the operator through the Swarm: " + e.getMessage(), 1);
    } catch (com.github.dockerjava.api.exception.DockerException e) {
      // the manager answered, but not with what was asked: a Swarm between leaders, say
      throw new Main.UserError("the Swarm managed at " + System.getenv().getOrDefault("DOCKER_HOST", "the default engine")
          + " could not carry the request or its answer (" + e.getMessage().strip() + "): try again in a few seconds"
          + " (`pgherd get` shows whether it was done; `docker node ls` shows the managers)", 1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 130;
    }
  }

  private static RemoteCli.Answer ask(RemoteCli remote, RemoteCli.Request request) throws IOException, InterruptedException {
    return remote.call(request, TIMEOUT).orElseThrow(() ->
        new Main.UserError("no answer from the operator within " + TIMEOUT.toMinutes() + " min: is the service "
            + io.pgherd.swarm.OperatorService.NAME + " (or the stack's operator) running (`docker service ps`)?", 1));
  }

  /**
   * logs -f: where the new lines of {@code now} start, after the lines {@code before} printed. The
   * log as a whole is asked each time; it only grows, unless another operator's log replaced it
   * (rescheduled elsewhere): then the lines after the last one printed, or all when it is not there.
   */
  static int newFrom(List<String> before, List<String> now) {
    int complete = before.isEmpty() ? 0 : before.size() - 1; // the last element: after the final newline
    if (complete <= now.size() && before.subList(0, complete).equals(now.subList(0, complete))) {
      return complete;
    }
    String last = null;
    for (int i = complete - 1; i >= 0 && last == null; i--) {
      last = before.get(i).isEmpty() ? null : before.get(i);
    }
    int at = last == null ? -1 : now.lastIndexOf(last);
    return at < 0 ? 0 : at + 1;
  }

  /**
   * The operator's side: the request run as this image's command line would run it, in a child
   * process on the operator's home, its files written to a private directory first.
   */
  static RemoteCli.Answer runHere(RemoteCli.Request request) {
    if (request.args().isEmpty() || !FORWARDED.contains(request.args().get(0))) {
      return new RemoteCli.Answer(2, "error: not a command that travels through the Swarm: " + request.args() + "\n");
    }
    Path dir = null;
    try {
      dir = Files.createTempDirectory("pgherd-cli");
      List<String> cmd = new ArrayList<>(List.of("pgherd"));
      for (String a : request.args()) {
        if (a.startsWith(FILE)) {
          String n = a.substring(FILE.length());
          String content = request.files().get(n);
          if (content == null) {
            return new RemoteCli.Answer(2, "error: the request names a file it does not carry\n");
          }
          Path f = dir.resolve("file-" + n + ".yaml");
          Files.write(f, RemoteCli.decode(content));
          cmd.add(f.toString());
        } else {
          cmd.add(a);
        }
      }
      Path output = dir.resolve("output");
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      pb.environment().remove(RuntimeOption.ENV);
      pb.environment().put(SERVED_ENV, "1"); // runs here, on this home
      Process p = pb.start();
      boolean done = p.waitFor(TIMEOUT.toMinutes(), java.util.concurrent.TimeUnit.MINUTES);
      if (!done) {
        p.destroyForcibly().waitFor();
      }
      String out = Files.readString(output, java.nio.charset.StandardCharsets.UTF_8);
      return done ? new RemoteCli.Answer(p.exitValue(), out)
          : new RemoteCli.Answer(1, out + "error: stopped after " + TIMEOUT.toMinutes() + " min\n");
    } catch (IOException | InterruptedException | RuntimeException e) {
      return new RemoteCli.Answer(1, "error: the operator could not run " + request.args() + ": " + e + "\n");
    } finally {
      if (dir != null) {
        try (var files = Files.list(dir)) {
          for (Path f : files.toList()) {
            Files.deleteIfExists(f);
          }
          Files.deleteIfExists(dir);
        } catch (IOException e) {
          // a temporary directory left: nothing secret in it
        }
      }
    }
  }
}
