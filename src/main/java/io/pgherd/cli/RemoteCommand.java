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
 * The command line on a Docker Swarm ({@code PGHERD_RUNTIME=swarm}, DOCKER_HOST a manager): the
 * commands that act on clusters go to the operator's service wherever it runs
 * ({@link RemoteCli}) — the files they name travel with them — and its answer is printed here.
 * The operator's own commands ({@code operator}, {@code up}) and the interactive ones
 * ({@code psql}, {@code status -w}, {@code logs -f}) stay local.
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

  /** Whether {@code args} go to the operator's service: the Swarm asked for, a command that travels, not interactive. */
  static boolean applies(String[] args, Map<String, String> env) {
    String runtime = env.get(RuntimeOption.ENV);
    if (args.length == 0 || runtime == null || !runtime.trim().toLowerCase(Locale.ROOT).equals("swarm")
        || !FORWARDED.contains(args[0])) {
      return false;
    }
    for (String a : args) {
      if (a.equals("-h") || a.equals("--help")) {
        return false;
      }
    }
    return true;
  }

  /** The request for {@code args}: each {@code -f FILE} read here, its content carried, its name a placeholder. */
  static RemoteCli.Request request(String[] args) {
    List<String> out = new ArrayList<>();
    Map<String, String> files = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if ((args[0].equals("status") && (a.equals("-w") || a.equals("--watch")))
          || (args[0].equals("logs") && (a.equals("-f") || a.equals("--follow")))) {
        throw new Main.UserError(args[0] + " " + a + " does not travel through the Swarm yet: run it in the operator's"
            + " task (docker exec), or without " + a, 2);
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

  /** Sends the command to the operator's service and prints its answer; its exit code. */
  static int forward(String[] args) {
    RemoteCli.Request request = request(args);
    try (DockerGateway docker = DockerGateway.connect()) {
      EngineCalls calls = new EngineCalls(docker.host());
      SwarmManager.check(docker.client(), calls, docker.host());
      if (new io.pgherd.swarm.OperatorService(docker.client(), docker.host()).any().isEmpty()) {
        throw new Main.UserError("no operator on the Swarm of " + docker.host() + ": no service is labelled"
            + " io.pgherd.component=operator (`pgherd operator deploy` or swarm-stack.yml makes one); nothing was changed", 1);
      }
      RemoteCli.Answer a = new RemoteCli(docker.client(), calls).call(request, TIMEOUT).orElseThrow(() ->
          new Main.UserError("no answer from the operator within " + TIMEOUT.toMinutes() + " min: is the service "
              + io.pgherd.swarm.OperatorService.NAME + " (or the stack's operator) running (`docker service ps`)?", 1));
      System.out.print(a.output());
      return a.exitCode();
    } catch (EngineUnavailableException e) {
      throw new Main.UserError(e.getMessage() + " (PGHERD_RUNTIME=swarm: DOCKER_HOST must name a Swarm manager)", 1);
    } catch (IOException e) {
      throw new Main.UserError("cannot reach the operator through the Swarm: " + e.getMessage(), 1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 130;
    }
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
      pb.environment().remove(RuntimeOption.ENV); // runs here, on this home
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
