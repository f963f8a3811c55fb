package io.pgherd.agent;

import java.io.PrintStream;

/** The agent's log: lines on its standard output (the container's log), each prefixed {@code pgherd-agent:}. */
final class Log {
  private final PrintStream out;

  Log(PrintStream out) {
    this.out = out;
  }

  void info(String line) {
    synchronized (out) {
      out.println("pgherd-agent: " + line);
      out.flush();
    }
  }
}
