package io.pgherd.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pgherd.api.PostgresClusterStatus;
import io.pgherd.api.SpecValidator;
import io.pgherd.model.InPlaceRestore;
import io.pgherd.model.Topology;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The operator's store on disk (DESIGN.md, "The home"):
 *
 * <pre>
 * clusters/NAME.yaml      desired spec, metadata.generation counts its changes
 * state/NAME.json         the operator's intent: members, next ordinal, primary
 * state/NAME.restored     a cluster bootstrapped from backups has recovered (never again)
 * state/NAME.restore.json a restore in place under way (phase, replacement members)
 * state/NAME.reclones.json the members cloned again on the operator's own, and why ({@link Reclones})
 * status/NAME.json        last observed status (what `status -o json` prints)
 * logs/NAME.log           one line per reconcile action
 * logs/NAME/M.T.log       the last lines of member M's container, replaced at T
 * secrets/NAME/           generated passwords, directory 0700, files 0600
 * requests/NAME.delete    a pending delete ("purge" inside when volumes go too)
 * requests/NAME.control   a pending switchover, failover or restore request (JSON, {@link ControlRequest})
 * requests/NAME.backup    a pending base backup request (the same JSON, kind "backup")
 * requests/NAME.ID.result the operator's answer to that request
 * operator.lock           held by the one operator of this home
 * </pre>
 *
 * <p>Home owns this layout and the cluster's spec, state and status files; the secrets
 * ({@link #secrets()}), the requests and their answers ({@link #requests()}) and the operator lock
 * ({@link HomeLock}) are classes of their own.
 */
public final class Home {
  public static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).findAndRegisterModules();
  public static final String SUPERUSER_PASSWORD = "superuser-password";
  public static final String REPLICATION_PASSWORD = "replication-password";

  private final Path root;
  private final Secrets secrets = new Secrets(this);
  private final Requests requests = new Requests(this);

  private volatile Runnable afterDurableWrite = () -> { };

  public Home(Path root) {
    this.root = root.toAbsolutePath();
  }

  /** --home, else $PGHERD_HOME, else ~/.pgherd. */
  public static Home resolve(Path option) {
    if (option != null) {
      return new Home(option);
    }
    String env = System.getenv("PGHERD_HOME");
    if (env != null && !env.isBlank()) {
      return new Home(Path.of(env));
    }
    return new Home(Path.of(System.getProperty("user.home"), ".pgherd"));
  }

  public Path root() {
    return root;
  }

  /**
   * Creates the home when it is missing, 0700: it holds the secrets, and the logs, status and WAL
   * spool are nobody else's business either. (Created with the process's umask it was 0755.)
   */
  public void createRoot() {
    if (Files.isDirectory(root)) {
      return;
    }
    try {
      if (root.getParent() != null) {
        Files.createDirectories(root.getParent());
      }
      Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (java.nio.file.FileAlreadyExistsException e) {
      // created meanwhile (by another command of this home)
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + root, e);
    }
  }

  /**
   * Takes group and other permissions away from an existing home (one created before it was made
   * 0700, or by hand); returns what it changed, e.g. "rwxr-xr-x", or empty when it was private.
   */
  public Optional<String> makePrivate() {
    try {
      var perms = Files.getPosixFilePermissions(root);
      var owner = java.util.EnumSet.noneOf(java.nio.file.attribute.PosixFilePermission.class);
      perms.stream().filter(p -> p.name().startsWith("OWNER_")).forEach(owner::add);
      owner.add(java.nio.file.attribute.PosixFilePermission.OWNER_READ);
      owner.add(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
      owner.add(java.nio.file.attribute.PosixFilePermission.OWNER_EXECUTE);
      if (owner.equals(perms)) {
        return Optional.empty();
      }
      Files.setPosixFilePermissions(root, owner);
      return Optional.of(PosixFilePermissions.toString(perms));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot change the permissions of " + root, e);
    }
  }

  /**
   * A cluster name (or request id) as part of a file name: never one that leads out of its
   * directory. The command line refuses names that are not cluster names before they get here.
   */
  private static String fileName(String name) {
    if (name == null || name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
        || name.indexOf('\\') >= 0 || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("not a cluster name: " + SpecValidator.quoted(String.valueOf(name)));
    }
    return name;
  }

  public Path specFile(String cluster) {
    return root.resolve("clusters").resolve(fileName(cluster) + ".yaml");
  }

  public Path stateFile(String cluster) {
    return root.resolve("state").resolve(fileName(cluster) + ".json");
  }

  public Path statusFile(String cluster) {
    return root.resolve("status").resolve(fileName(cluster) + ".json");
  }

  public Path logFile(String cluster) {
    return root.resolve("logs").resolve(fileName(cluster) + ".log");
  }

  /**
   * Where the last lines of a member container's log are kept when pgherd replaces the container
   * (a former primary made again as a replica): logs/NAME/MEMBER.TIMESTAMP.log.
   */
  public Path replacedContainerLog(String cluster, String member, java.time.Instant at) {
    String stamp = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
        .withZone(java.time.ZoneOffset.UTC).format(at);
    return root.resolve("logs").resolve(fileName(cluster)).resolve(fileName(member) + "." + stamp + ".log");
  }

  public Path secretsDir(String cluster) {
    return root.resolve("secrets").resolve(fileName(cluster));
  }

  /** The cluster's passwords and other secret files, under {@link #secretsDir}. */
  public Secrets secrets() {
    return secrets;
  }

  public Path deleteRequest(String cluster) {
    return root.resolve("requests").resolve(fileName(cluster) + ".delete");
  }

  public Path controlRequest(String cluster) {
    return root.resolve("requests").resolve(fileName(cluster) + ".control");
  }

  /** A pending request for a base backup ({@code pgherd backup}), apart from switchovers. */
  public Path backupRequest(String cluster) {
    return root.resolve("requests").resolve(fileName(cluster) + ".backup");
  }

  public Path controlResult(String cluster, String id) {
    return root.resolve("requests").resolve(fileName(cluster) + "." + id + ".result");
  }

  /** The requests left for the operator and its answers ({@link #controlRequest}, {@link #backupRequest}). */
  public Requests requests() {
    return requests;
  }

  /** Written once a cluster bootstrapped from backups has recovered: it is never restored again. */
  public Path restoredMarker(String cluster) {
    return root.resolve("state").resolve(fileName(cluster) + ".restored");
  }

  /**
   * Written the first time a cluster is Healthy: it is Degraded, not Creating, from then on — kept
   * with the state (on a Swarm, in the home an operator taking over restores; the statuses are not).
   */
  public Path healthyMarker(String cluster) {
    return root.resolve("state").resolve(fileName(cluster) + ".healthy");
  }

  /** Whether the cluster has been Healthy once ({@link #healthyMarker}). */
  public boolean wasHealthy(String cluster) {
    return Files.exists(healthyMarker(cluster));
  }

  /** Records that the cluster has been Healthy once (a no-op after the first time). */
  public void markHealthy(String cluster) {
    Path marker = healthyMarker(cluster);
    if (!Files.exists(marker)) {
      createRoot();
      writeAtomically(marker, (java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + "\n")
          .getBytes(StandardCharsets.UTF_8), false);
    }
  }

  /** The members cloned again on the operator's own ({@link Reclones}). */
  public Path reclonesFile(String cluster) {
    return root.resolve("state").resolve(fileName(cluster) + ".reclones.json");
  }

  /** A restore in place under way ({@link InPlaceRestore}). */
  public Path inPlaceRestoreFile(String cluster) {
    return root.resolve("state").resolve(fileName(cluster) + ".restore.json");
  }

  public Optional<InPlaceRestore> readInPlaceRestore(String cluster) {
    return readString(inPlaceRestoreFile(cluster)).map(s -> {
      try {
        return JSON.readValue(s, InPlaceRestore.class);
      } catch (IOException e) {
        throw new UncheckedIOException("corrupt restore state " + inPlaceRestoreFile(cluster), e);
      }
    });
  }

  public void writeInPlaceRestore(String cluster, InPlaceRestore restore) {
    if (restore == null) {
      try {
        Files.deleteIfExists(inPlaceRestoreFile(cluster));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot remove " + inPlaceRestoreFile(cluster), e);
      }
    } else {
      writeJson(inPlaceRestoreFile(cluster), restore);
    }
  }

  public Path lockFile() {
    return root.resolve("operator.lock");
  }

  /** Names of the clusters with a stored spec, sorted. */
  public List<String> clusters() {
    Path dir = root.resolve("clusters");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      List<String> names = new ArrayList<>();
      files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".yaml") && !n.startsWith("."))
          .map(n -> n.substring(0, n.length() - ".yaml".length()))
          .sorted()
          .forEach(names::add);
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  public Optional<String> readSpec(String cluster) {
    return readString(specFile(cluster));
  }

  public void writeSpec(String cluster, String yaml) {
    createRoot();
    writeAtomically(specFile(cluster), yaml.getBytes(StandardCharsets.UTF_8), false);
  }

  public Optional<Topology> readState(String cluster) {
    return readString(stateFile(cluster)).map(s -> {
      try {
        return JSON.readValue(s, Topology.class);
      } catch (IOException e) {
        throw new UncheckedIOException("corrupt state file " + stateFile(cluster), e);
      }
    });
  }

  public void writeState(String cluster, Topology topology) {
    writeJson(stateFile(cluster), topology);
    durableWritten();
  }

  /**
   * Runs after each write of a cluster's recorded intent or of a generated secret, before the
   * caller acts on it: on a Docker Swarm the home is stored in the Swarm at once
   * ({@code swarm.SwarmHome}), so that an operator rescheduled elsewhere finds the intent the last
   * one acted on and the passwords the members were made with.
   */
  public void afterDurableWrite(Runnable action) {
    this.afterDurableWrite = action;
  }

  void durableWritten() {
    afterDurableWrite.run();
  }

  public Optional<PostgresClusterStatus> readStatus(String cluster) {
    return readString(statusFile(cluster)).map(s -> {
      try {
        return JSON.readValue(s, PostgresClusterStatus.class);
      } catch (IOException e) {
        throw new UncheckedIOException("corrupt status file " + statusFile(cluster), e);
      }
    });
  }

  public void writeStatus(String cluster, PostgresClusterStatus status) {
    writeJson(statusFile(cluster), status);
  }

  /** Removes everything stored for a cluster; secrets too when {@code purge}. */
  public void forget(String cluster, boolean purge) {
    try {
      Files.deleteIfExists(specFile(cluster));
      Files.deleteIfExists(stateFile(cluster));
      Files.deleteIfExists(restoredMarker(cluster));
      Files.deleteIfExists(healthyMarker(cluster));
      Files.deleteIfExists(inPlaceRestoreFile(cluster));
      Files.deleteIfExists(reclonesFile(cluster));
      Path restoreWork = root.resolve("restore").resolve(fileName(cluster));
      if (Files.isDirectory(restoreWork)) {
        try (Stream<Path> walk = Files.walk(restoreWork)) {
          for (Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
            Files.delete(f);
          }
        }
      }
      Files.deleteIfExists(statusFile(cluster));
      Files.deleteIfExists(deleteRequest(cluster));
      if (purge) {
        Path dir = secretsDir(cluster);
        if (Files.isDirectory(dir)) {
          try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
              Files.delete(f);
            }
          }
          Files.delete(dir);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the stored state of " + cluster, e);
    }
  }

  /**
   * Holds the home's operator lock until closed; empty when another process (or this one) holds it.
   */
  public Optional<AutoCloseable> tryLock() {
    return HomeLock.tryLock(this);
  }

  public void writeJson(Path file, Object value) {
    createRoot();
    try {
      writeAtomically(file, JSON.writeValueAsBytes(value), false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  public static Optional<String> readString(Path file) {
    try {
      return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
    } catch (java.nio.file.NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** Write to a temporary file, then rename: readers see the old or the new content, never half. */
  public static void writeAtomically(Path file, byte[] content, boolean secret) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      if (secret) {
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(tmp, content, StandardOpenOption.TRUNCATE_EXISTING);
      } else {
        Files.write(tmp, content);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
