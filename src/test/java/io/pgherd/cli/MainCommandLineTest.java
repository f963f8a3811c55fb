package io.pgherd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import org.junit.jupiter.api.Test;

class MainCommandLineTest {
  static final String[] ALL = {"up", "operator", "apply", "get", "status", "logs", "psql", "switchover", "failover",
      "delete", "backup", "backups", "restore", "images", "help"};

  @Test
  void aCommandLineThatNamesACommandBuildsOnlyThatOne() {
    assertThat(Main.commandLine("apply", "-f", "x.yaml").getSubcommands().keySet()).containsExactly("apply");
    assertThat(Main.commandLine("status", "demo").getSubcommands().keySet()).containsExactly("status");
  }

  @Test
  void usageHelpVersionAndUnknownCommandsGetThemAll() {
    for (String[] args : new String[][] {{}, {"--help"}, {"-h", "apply"}, {"help", "apply"}, {"--version"},
        {"nosuch"}, {"-f", "apply"}}) {
      assertThat(Main.commandLine(args).getSubcommands().keySet()).as(String.join(" ", args)).containsExactly(ALL);
    }
  }

  @Test
  void logsGoToStderrWithPgherdAtItsLevelAndTheRestAtWarn() {
    LoggerContext context = new LoggerContext();
    LogSetup setup = new LogSetup();
    setup.setContext(context);
    String before = System.getProperty("PGHERD_LOG_LEVEL");
    System.setProperty("PGHERD_LOG_LEVEL", "DEBUG");
    try {
      assertThat(setup.configure(context)).isEqualTo(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
    } finally {
      if (before == null) {
        System.clearProperty("PGHERD_LOG_LEVEL");
      } else {
        System.setProperty("PGHERD_LOG_LEVEL", before);
      }
    }
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    assertThat(root.getLevel()).isEqualTo(Level.WARN);
    assertThat(root.getAppender("STDERR")).isNotNull();
    assertThat(context.getLogger("io.pgherd.reconcile.Operator").getEffectiveLevel()).isEqualTo(Level.DEBUG);
    assertThat(context.getLogger("org.postgresql.Driver").getEffectiveLevel()).isEqualTo(Level.WARN);
    assertThat(context.getLogger("com.github.dockerjava.core").getEffectiveLevel()).isEqualTo(Level.WARN);
  }

  @Test
  void anUnsetOrUnknownLevelIsInfo() {
    String before = System.getProperty("PGHERD_LOG_LEVEL");
    try {
      System.setProperty("PGHERD_LOG_LEVEL", "loud");
      assertThat(LogSetup.level()).isEqualTo(Level.INFO);
      System.setProperty("PGHERD_LOG_LEVEL", " ");
      assertThat(LogSetup.level()).isEqualTo(Level.INFO);
      System.setProperty("PGHERD_LOG_LEVEL", "warn");
      assertThat(LogSetup.level()).isEqualTo(Level.WARN);
    } finally {
      if (before == null) {
        System.clearProperty("PGHERD_LOG_LEVEL");
      } else {
        System.setProperty("PGHERD_LOG_LEVEL", before);
      }
    }
  }
}
