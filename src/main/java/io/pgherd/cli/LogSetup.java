package io.pgherd.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * pgherd's logging, set up in code (a logback {@link Configurator}, found through
 * META-INF/services): one stderr appender, {@code HH:mm:ss.SSS LEVEL message}; io.pgherd at
 * {@code PGHERD_LOG_LEVEL} (environment or system property; INFO by default), everything else at
 * WARN. Parsing an XML configuration cost every command ~0.1 s of its start. A configuration file
 * named by {@code -Dlogback.configurationFile} is used instead, as logback does by default.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {
  static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %msg%n";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY; // the user's file, read by logback's own configurator
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.WARN);
    root.addAppender(stderr);
    context.getLogger("io.pgherd").setLevel(level());
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /**
   * PGHERD_LOG_LEVEL (system property first, then the environment); INFO when unset, and when it
   * names no level (said on stderr).
   */
  static Level level() {
    String v = System.getProperty("PGHERD_LOG_LEVEL", System.getenv("PGHERD_LOG_LEVEL"));
    if (v == null || v.isBlank()) {
      return Level.INFO;
    }
    Level level = Level.toLevel(v.strip(), null);
    if (level == null) {
      System.err.println("pgherd: PGHERD_LOG_LEVEL='" + v + "' is not a log level (TRACE, DEBUG, INFO, WARN, ERROR,"
          + " OFF); logging at INFO");
      return Level.INFO;
    }
    return level;
  }
}
