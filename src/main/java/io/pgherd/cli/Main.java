package io.pgherd.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The pgherd command line. */
@Command(
    name = "pgherd",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Runs PostgreSQL clusters (primary, streaming replicas, HAProxy) on Docker from one YAML spec.",
    subcommands = {
        UpCommand.class, OperatorCommand.class, ApplyCommand.class, GetCommand.class, StatusCommand.class,
        LogsCommand.class, PsqlCommand.class, SwitchoverCommand.class, FailoverCommand.class, DeleteCommand.class,
        BackupCommand.class, BackupsCommand.class, RestoreCommand.class, ImagesCommand.class,
        CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
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
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof UserError u) {
        commandLine.getErr().println("error: " + u.getMessage());
        return u.exitCode();
      }
      if (e instanceof io.pgherd.docker.MemberAccess.Unusable m) {
        commandLine.getErr().println("error: " + m.getMessage());
        return 2;
      }
      if (e instanceof io.pgherd.docker.DockerUnavailableException d) {
        commandLine.getErr().println("error: " + d.getMessage()
            + " (is dockerd running? set DOCKER_HOST to use another engine)");
        return 1;
      }
      commandLine.getErr().println("error: " + e);
      return 1;
    });
    return cli.execute(args);
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
