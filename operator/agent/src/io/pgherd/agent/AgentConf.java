package io.pgherd.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

/**
 * The operator's settings for the agent, {@code /etc/pgherd/agent/agent.conf} ({@code key=value}
 * lines; {@code #} comments): {@code peers} (the other members' host names, comma-separated) and
 * {@code isolation_timeout_ms}. Read again whenever the file changes (the operator rewrites it on
 * a scale-out or a spec change). Without the file: no peers and no self-fencing.
 */
final class AgentConf {
  /** The settings now: the peers and the isolation timeout (0: self-fencing off). */
  record Settings(List<String> peers, long isolationTimeoutMillis) {
    static final Settings NONE = new Settings(List.of(), 0);
  }

  private final Path file;
  private FileTime seen;
  private Settings settings = Settings.NONE;

  AgentConf(Path file) {
    this.file = file;
  }

  /** The current settings, the file read again when it changed; a malformed file keeps the last good ones. */
  synchronized Settings current(Log log) {
    FileTime mtime;
    try {
      mtime = Files.getLastModifiedTime(file);
    } catch (NoSuchFileException e) {
      settings = Settings.NONE;
      seen = null;
      return settings;
    } catch (IOException e) {
      return settings;
    }
    if (mtime.equals(seen)) {
      return settings;
    }
    try {
      settings = parse(Files.readAllLines(file, StandardCharsets.UTF_8));
      log.info(file + ": peers " + settings.peers() + ", isolation timeout " + settings.isolationTimeoutMillis() + " ms");
    } catch (IOException | IllegalArgumentException e) {
      log.info(file + " cannot be used, keeping the settings before it: " + e.getMessage());
    }
    seen = mtime;
    return settings;
  }

  static Settings parse(List<String> lines) {
    List<String> peers = new ArrayList<>();
    long timeout = 0;
    for (String raw : lines) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int eq = line.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("not key=value: " + line);
      }
      String key = line.substring(0, eq).strip();
      String value = line.substring(eq + 1).strip();
      switch (key) {
        case "peers" -> {
          for (String p : value.split(",")) {
            if (!p.isBlank()) {
              if (!p.strip().matches("[A-Za-z0-9][A-Za-z0-9.-]*")) {
                throw new IllegalArgumentException("peers: '" + p.strip() + "' is not a host name");
              }
              peers.add(p.strip());
            }
          }
        }
        case "isolation_timeout_ms" -> {
          if (!value.matches("\\d{1,9}")) {
            throw new IllegalArgumentException("isolation_timeout_ms: '" + value + "' is not a number of milliseconds");
          }
          timeout = Long.parseLong(value);
        }
        default -> throw new IllegalArgumentException("unknown setting " + key);
      }
    }
    return new Settings(List.copyOf(peers), timeout);
  }
}
