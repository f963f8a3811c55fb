package io.pgherd.fake;

import io.pgherd.model.PostgresConf;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A member's processes while its container runs, in {@link FakePostgres}: the entrypoint, then
 * the postmaster; its WAL receiver's state, and its configuration (postgresql.conf and pg_hba.conf
 * read at the start and at each reload: the settings in force, those waiting for a restart, the
 * pg_hba rules and whether it serves TLS, {@link PgTls}).
 */
final class PgServer {
  enum Phase { WAITING, UP, SHUTTING_DOWN }

  /** Parameters of context postmaster: a reload leaves them as they were and marks them pending_restart. */
  static final Set<String> RESTART_ONLY = Set.of("archive_mode", "cluster_name", "hot_standby", "huge_pages",
      "listen_addresses", "max_connections", "max_locks_per_transaction", "max_prepared_transactions",
      "max_replication_slots", "max_wal_senders", "max_worker_processes", "port", "shared_buffers",
      "shared_preload_libraries", "track_commit_timestamp", "unix_socket_directories", "wal_buffers", "wal_level",
      "wal_log_hints");
  private static final Pattern SETTING = Pattern.compile("^([a-z_][a-z0-9_.]*) = '((?:[^']|'')*)'$");
  private static final Pattern CONNINFO = Pattern.compile("(?m)^primary_conninfo = '(.*)'$");
  private static final Pattern HOST = Pattern.compile("(?:^|\\s)host=(\\S+)");
  private static final Pattern SLOT = Pattern.compile("(?m)^primary_slot_name = '([^']*)'$");

  final FakeContainer container;
  final String member;
  final PgData data;
  final Map<String, String> env;
  Phase phase = Phase.WAITING;
  boolean waitSaid;
  /** primary_conninfo, its host and primary_slot_name, as last read. */
  String conninfo;
  String upstream;
  String slot;
  boolean receiving;
  /** Its WAL receiver's connection uses TLS. */
  boolean receivingTls;
  PgServer sender;
  String lastError;
  /**
   * WAL a primary sent at its shutdown that this standby has not flushed yet: flushed at the next
   * simulated step, or seen by the second {@code receivedLsn()} after the shutdown (the first
   * still sees the position before it), so that a promotion after one look would lose it.
   */
  long inFlight = -1;
  int inFlightLooks;
  /** Reads of pg_control that still see the server running after it was told to shut down. */
  int shutdownLooks;
  /** The settings in force: postgresql.conf as last (re)loaded, restart-only ones as at the start. */
  final Map<String, String> settings = new TreeMap<>();
  /** Restart-only settings whose value in postgresql.conf, at the last reload, differs from the one in force. */
  final Set<String> pendingRestart = new TreeSet<>();
  /** pg_hba.conf's TCP lines in force. */
  List<PgTls.HbaRule> hba = List.of();
  /** It serves TLS (ssl on, its certificate and key loaded). */
  boolean tls;

  PgServer(FakeContainer container, String member, PgData data, Map<String, String> env) {
    this.container = container;
    this.member = member;
    this.data = data;
    this.env = env;
  }

  String name() {
    return container.name;
  }

  boolean up() {
    return phase == Phase.UP;
  }

  /** The postmaster starts: postgresql.conf and pg_hba.conf are read; why it cannot start (FATAL), else null. */
  String loadConfiguration() {
    readConf();
    settings.putAll(parseConf(container.text(PostgresConf.CONF_PATH).orElse("")));
    hba = PgTls.parseHba(container.text(PostgresConf.HBA_PATH).orElse(""));
    if ("on".equals(settings.get("ssl"))) {
      String error = PgTls.loadError(container, settings);
      if (error != null) {
        return error;
      }
      tls = true;
    }
    return null;
  }

  /**
   * SIGHUP, pg_reload_conf(): postgresql.conf and pg_hba.conf read again, the certificate and key
   * too while ssl is on; the WAL receiver restarts when its primary_conninfo or slot changed.
   */
  void reload() {
    String conninfoBefore = conninfo;
    String slotBefore = slot;
    readConf();
    log(container, "LOG:  received SIGHUP, reloading configuration files");
    Map<String, String> conf = parseConf(container.text(PostgresConf.CONF_PATH).orElse(""));
    pendingRestart.clear();
    Set<String> names = new TreeSet<>(conf.keySet());
    names.addAll(settings.keySet());
    for (String name : names) {
      String value = conf.get(name);
      if (Objects.equals(value, settings.get(name))) {
        continue;
      }
      if (RESTART_ONLY.contains(name)) {
        pendingRestart.add(name);
        log(container, "LOG:  parameter \"" + name + "\" cannot be changed without restarting the server");
      } else if (value == null) {
        settings.remove(name); // back to its default
        log(container, "LOG:  parameter \"" + name + "\" removed from configuration file, reset to default");
      } else {
        settings.put(name, value);
        log(container, "LOG:  parameter \"" + name + "\" changed to \"" + value + "\"");
      }
    }
    hba = PgTls.parseHba(container.text(PostgresConf.HBA_PATH).orElse(""));
    if ("on".equals(settings.get("ssl"))) {
      String error = PgTls.loadError(container, settings);
      if (error == null) {
        tls = true;
      } else {
        log(container, "LOG:  " + error);
        log(container, "LOG:  SSL configuration was not reloaded");
      }
    } else {
      tls = false;
    }
    if (!Objects.equals(conninfoBefore, conninfo) || !Objects.equals(slotBefore, slot)) {
      disconnect(); // the WAL receiver restarts with the new primary_conninfo at the next step
    }
  }

  /**
   * max_slot_wal_keep_size in force, in bytes; -1 (its default) for no bound. A number without a
   * unit is megabytes, as PostgreSQL reads it.
   */
  long maxSlotWalKeepSize() {
    String value = settings.getOrDefault("max_slot_wal_keep_size", "-1").strip();
    if (value.equals("-1")) {
      return -1;
    }
    return io.pgherd.api.Quantities.parseSize(value.matches("[0-9]+") ? value + "MB" : value);
  }

  /** Its WAL receiver stops (it starts again at the next simulated step if it can). */
  void disconnect() {
    receiving = false;
    receivingTls = false;
    sender = null;
  }

  /** primary_conninfo, its host and primary_slot_name from the postgresql.conf copied in. */
  private void readConf() {
    String conf = container.text(PostgresConf.CONF_PATH).orElse("");
    conninfo = conninfo(container);
    Matcher h = conninfo != null ? HOST.matcher(conninfo) : null;
    upstream = h != null && h.find() ? h.group(1) : null;
    Matcher sl = SLOT.matcher(conf);
    slot = sl.find() ? sl.group(1) : null;
  }

  /** primary_conninfo in the postgresql.conf copied into {@code c}; null when it has none. */
  static String conninfo(FakeContainer c) {
    Matcher m = CONNINFO.matcher(c.text(PostgresConf.CONF_PATH).orElse(""));
    return m.find() ? m.group(1).replace("''", "'") : null;
  }

  /** name → value of postgresql.conf's lines as pgherd renders them ({@code name = 'value'}). */
  static Map<String, String> parseConf(String text) {
    Map<String, String> out = new TreeMap<>();
    for (String line : text.split("\n")) {
      Matcher m = SETTING.matcher(line.strip());
      if (m.matches()) {
        out.put(m.group(1), m.group(2).replace("''", "'").replace("\\\\", "\\"));
      }
    }
    return out;
  }

  /** A line of the entrypoint's output. */
  static void say(FakeContainer c, String line) {
    c.logs.add("pgherd-entrypoint: " + line);
  }

  /** A line of PostgreSQL's log. */
  static void log(FakeContainer c, String line) {
    c.logs.add("postgres: " + line);
  }
}
