package io.pgherd.cli;

import io.pgherd.docker.DockerUnavailableException;
import io.pgherd.runtime.MemberAccess;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The pgherd command line. */
@Command(
    name = "pgherd",
    mixinStandardHelpOptions = true,
    scope = CommandLine.ScopeType.INHERIT, // -h/--help and -V/--version on every command too
    versionProvider = Main.Version.class,
    description = "Runs PostgreSQL clusters (primary, streaming replicas, HAProxy) on Docker from one YAML spec.")
public final class Main implements Runnable {
  /** The commands, in the order the usage lists them ({@code help} last). */
  static final java.util.List<Class<?>> COMMANDS = java.util.List.of(
      UpCommand.class, OperatorCommand.class, ApplyCommand.class, GetCommand.class, StatusCommand.class,
      LogsCommand.class, PsqlCommand.class, SwitchoverCommand.class, FailoverCommand.class, DeleteCommand.class,
      BackupCommand.class, BackupsCommand.class, RestoreCommand.class, ImagesCommand.class,
      CommandLine.HelpCommand.class);

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // Member containers get new addresses when they are recreated; reached by name (the operator
    // in a container), a name must not stay cached at its old address for the JDK's default 30 s.
    java.security.Security.setProperty("networkaddress.cache.ttl", "2");
    java.security.Security.setProperty("networkaddress.cache.negative.ttl", "0");
    System.exit(run(args));
  }

  /** Runs a command line and returns its exit code: 0 ok, 1 failed, 2 bad input. */
  public static int run(String... args) {
    RemoteCommand.Route route = RemoteCommand.route(args, System.getenv());
    if (route != RemoteCommand.Route.LOCAL) {
      try {
        if (route == RemoteCommand.Route.FORWARD || RemoteCommand.swarmOperatorAnswers(args, System.getenv())) {
          return RemoteCommand.forward(args); // on a Swarm: to the operator's service, wherever it runs
        }
      } catch (UserError u) {
        System.err.println("error: " + u.getMessage());
        return u.exitCode();
      }
    }
    CommandLine cli = commandLine(args);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof UserError u) {
        commandLine.getErr().println("error: " + u.getMessage());
        return u.exitCode();
      }
      if (e instanceof MemberAccess.Unusable m) {
        commandLine.getErr().println("error: " + m.getMessage());
        return 2;
      }
      if (e instanceof DockerUnavailableException d) {
        commandLine.getErr().println("error: " + d.getMessage()
            + " (is dockerd running? set DOCKER_HOST to use another engine)");
        return 1;
      }
      commandLine.getErr().println("error: " + e);
      return 1;
    });
    return cli.execute(args);
  }

  /**
   * The command line for {@code args}: when they start with a command's name, only that command
   * is added (picocli builds the model of every command it is given, by reflection: ~0.1 s of
   * each short-lived command's start for the 14 it does not run); otherwise (usage, --help,
   * --version, help, an unknown command) all of them.
   */
  static CommandLine commandLine(String... args) {
    CommandLine cli = new CommandLine(new Main());
    Class<?> named = args.length == 0 ? null : COMMANDS.stream()
        .filter(c -> c != CommandLine.HelpCommand.class && c.getAnnotation(Command.class).name().equals(args[0]))
        .findFirst().orElse(null);
    for (Class<?> c : COMMANDS) {
      if (named == null || c == named) {
        cli.addSubcommand(c);
      }
    }
    return cli;
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** A failure the user can act on: printed without a stack trace. */
  public static final class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    public UserError(String message) {
      this(message, 1);
    }

    public UserError(String message, int exitCode) {
      super(message);
      this.exitCode = exitCode;
    }

    public int exitCode() {
      return exitCode;
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"pgherd " + (v == null ? "dev" : v)};
    }
  }
}
