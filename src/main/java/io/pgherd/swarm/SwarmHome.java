package io.pgherd.swarm;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.model.Config;
import io.pgherd.docker.EngineCalls;
import io.pgherd.store.HomeCipher;
import io.pgherd.store.HomeSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The operator's home kept in the Swarm, so that an operator rescheduled onto another manager
 * resumes where the last one was, without a failover: the part of the home it cannot derive again
 * ({@link HomeSnapshot}: specs, intent, generated secrets and certificates, requests), sealed with
 * the operator's key ({@link HomeCipher}), in Swarm configs — the Swarm's own replicated store.
 *
 * <p>Generation {@code N} is the config {@code pgherd-home.N} (its data the first part, labels
 * {@code io.pgherd.home=N}, the number of parts, the writer, the sealed bytes' SHA-256), plus
 * {@code pgherd-home.N.WRITER.I} for the parts of a home larger than one config holds. A config's
 * name is unique in the Swarm, so writing {@code pgherd-home.N+1} is a compare-and-swap: the
 * operator that finds it written by another has lost the home ({@link Lost}) and must stop acting —
 * its generation number is its fencing token. The generation before the newest is kept.
 */
public final class SwarmHome implements AutoCloseable {
  static final String PREFIX = "pgherd-home.";
  static final String LABEL = "io.pgherd.home";
  static final String LABEL_PARTS = "io.pgherd.home.parts";
  static final String LABEL_WRITER = "io.pgherd.home.writer";
  static final String LABEL_SHA = "io.pgherd.home.sha256";
  static final String LABEL_PART_OF = "io.pgherd.home.part-of";
  /** Bytes per config: Swarm refuses configs over 500 KB. */
  static final int PART = 400 * 1024;
  /** How often the home is looked at for changes. */
  static final long INTERVAL_MS = 500;

  /** Another operator wrote the next generation: this one's view of the home is stale. */
  public static final class Lost extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Lost(String message) {
      super(message);
    }
  }

  private final DockerClient client;
  private final EngineCalls calls;
  private final Path root;
  private final HomeCipher cipher;
  private final BooleanSupplier mayStore;
  private final String writer = UUID.randomUUID().toString().substring(0, 8);
  private long generation;
  private String publishedDigest;
  private Thread loop;
  private volatile boolean closed;

  /**
   * {@code mayStore}: whether this operator may store the home now — while it holds the operator
   * lease. A replica that paused (or lost the lease) stores nothing: what it wrote since its last
   * store was never acted on, and must not become the next generation under the one acting.
   */
  public SwarmHome(DockerClient client, EngineCalls calls, Path root, HomeCipher cipher, BooleanSupplier mayStore) {
    this.client = client;
    this.calls = calls;
    this.root = root;
    this.cipher = cipher;
    this.mayStore = mayStore;
  }

  /**
   * At start: the newest generation in the Swarm made the home's (its kept directories replaced);
   * with none there yet, an empty home becomes generation 1 — what the node's volume kept from an
   * earlier operator is moved aside, not used, not deleted. Returns what was done, to be said.
   */
  public synchronized String restore() throws IOException {
    Optional<Config> newest = commits().stream().max(java.util.Comparator.comparingLong(SwarmHome::generationOf));
    if (newest.isEmpty()) {
      // the Swarm is the home's truth: a copy left in this node's volume by an operator of an earlier deploy
      // (its Swarm home removed since, or another Swarm's) would bring back clusters nobody asked for
      String aside = "set-aside-" + java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
          .withZone(java.time.ZoneOffset.UTC).format(java.time.Instant.now());
      List<String> moved = HomeSnapshot.setAside(root, aside);
      forgetStatuses();
      publish();
      return "no home in the Swarm yet: an empty one stored as generation " + generation + (moved.isEmpty() ? ""
          : " (what this node's volume held from an earlier operator, " + String.join(", ", moved)
              + ", is not used: moved to " + root.resolve(aside) + ")");
    }
    Config commit = newest.get();
    long gen = generationOf(commit);
    byte[] sealed = read(commit);
    String name = PREFIX + gen;
    String sha = Configs.labels(commit).get(LABEL_SHA);
    if (sha != null && !sha.equals(sha256(sealed))) {
      throw new IOException(name + " is incomplete or changed (its parts do not match its checksum)");
    }
    HomeSnapshot.unpack(cipher.open(sealed, name), root);
    forgetStatuses();
    generation = gen;
    publishedDigest = sha256(HomeSnapshot.pack(root));
    return "home restored from the Swarm: generation " + gen;
  }

  /**
   * Stores the home as the next generation when it changed since the last one; {@link Lost} when
   * another operator did first; an {@link IllegalStateException} when it changed but this operator
   * may not store it now.
   */
  public synchronized void publish() throws IOException {
    byte[] plain = HomeSnapshot.pack(root);
    String digest = sha256(plain);
    if (digest.equals(publishedDigest)) {
      return;
    }
    if (!mayStore.getAsBoolean()) {
      throw new IllegalStateException("this operator does not hold the operator lease now: the home is not stored"
          + " from it (generation " + generation + " stays the newest it stored)");
    }
    long next = generation + 1;
    removeParts(next, writer); // left by an attempt that failed before its commit
    String name = PREFIX + next;
    byte[] sealed = cipher.seal(plain, name);
    List<byte[]> parts = new ArrayList<>();
    for (int at = 0; at < sealed.length; at += PART) {
      parts.add(java.util.Arrays.copyOfRange(sealed, at, Math.min(sealed.length, at + PART)));
    }
    for (int i = 1; i < parts.size(); i++) {
      byte[] part = parts.get(i);
      String partName = name + "." + writer + "." + i;
      calls.call(() -> client.createConfigCmd().withName(partName)
          .withLabels(Map.of(LABEL_PART_OF, Long.toString(next))).withData(part).exec());
    }
    try {
      calls.call(() -> client.createConfigCmd().withName(name).withLabels(Map.of(LABEL, Long.toString(next),
          LABEL_PARTS, Integer.toString(parts.size()), LABEL_WRITER, writer, LABEL_SHA, sha256(sealed)))
          .withData(parts.get(0)).exec());
    } catch (ConflictException e) {
      removeParts(next, writer);
      throw new Lost("another operator stored generation " + next + " of the home first (this one had "
          + generation + "): this operator's view is stale and it stops acting");
    }
    // a name freed by the clean-up below could be taken again by an operator far behind: newer ones decide
    long newest = commits().stream().mapToLong(SwarmHome::generationOf).max().orElse(next);
    if (newest > next) {
      throw new Lost("another operator has stored generation " + newest + " of the home (this one wrote " + next
          + " behind it): this operator's view is stale and it stops acting");
    }
    generation = next;
    publishedDigest = digest;
    for (Config old : commits()) {
      if (generationOf(old) < next - 1) {
        Configs.remove(client, calls, old.getId());
        removeParts(generationOf(old), Configs.labels(old).get(LABEL_WRITER));
      }
    }
  }

  /**
   * Looks at the home every {@link #INTERVAL_MS} ms and stores it when it changed; {@code lost} is
   * told (once) when another operator has taken over; a Swarm that cannot be written is said once
   * to {@code warn} and retried.
   */
  public synchronized void start(Consumer<String> lost, Consumer<String> warn) {
    SaidOnce failures = new SaidOnce("the home cannot be stored in the Swarm (retrying)", warn);
    loop = new Thread(() -> {
      while (!closed) {
        try {
          if (mayStore.getAsBoolean()) { // paused, it only looks whether another has taken over
            publish();
          }
          checkNewest();
          failures.succeeded();
        } catch (Lost e) {
          lost.accept(e.getMessage());
          return;
        } catch (IOException | RuntimeException e) {
          failures.failed(String.valueOf(e.getMessage()));
        }
        try {
          Thread.sleep(INTERVAL_MS);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "pgherd-swarm-home");
    loop.setDaemon(true);
    loop.start();
  }

  /** {@link Lost} when another operator has stored a newer generation than this one's, changed or not. */
  synchronized void checkNewest() {
    long newest = commits().stream().mapToLong(SwarmHome::generationOf).max().orElse(generation);
    if (newest > generation) {
      throw new Lost("another operator has stored generation " + newest + " of the home (this one is at "
          + generation + "): this operator's view is stale and it stops acting");
    }
  }

  /** Stops looking; the home as it is now stored once more, if this operator may store it. */
  @Override
  public void close() throws IOException {
    closed = true;
    if (loop != null) {
      loop.interrupt();
    }
    if (mayStore.getAsBoolean()) {
      publish();
    }
  }

  private List<Config> commits() {
    return calls.call(() -> client.listConfigsCmd().withFilters(Map.of("label", List.of(LABEL))).exec())
        .stream().filter(c -> Configs.labels(c).containsKey(LABEL)).toList();
  }

  private byte[] read(Config commit) throws IOException {
    long gen = generationOf(commit);
    Map<String, String> l = Configs.labels(commit);
    int parts = Integer.parseInt(l.getOrDefault(LABEL_PARTS, "1"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(Configs.data(calls.call(() -> client.inspectConfigCmd(commit.getId()).exec())));
    for (int i = 1; i < parts; i++) {
      String partName = PREFIX + gen + "." + l.get(LABEL_WRITER) + "." + i;
      Config part = calls.call(() -> client.inspectConfigCmd(partName).exec());
      out.write(Configs.data(part));
    }
    return out.toByteArray();
  }

  private void removeParts(long gen, String by) {
    for (Config c : calls.call(() -> client.listConfigsCmd()
        .withFilters(Map.of("label", List.of(LABEL_PART_OF + "=" + gen))).exec())) {
      if (by != null && Configs.name(c).startsWith(PREFIX + gen + "." + by + ".")) {
        Configs.remove(client, calls, c.getId());
      }
    }
  }



  /**
   * The statuses in this home volume removed: they are an earlier operator's view (one that ran on
   * this node before, maybe minutes ago), not stored in the Swarm; until this operator's first pass
   * the status says there is none rather than something stale.
   */
  private void forgetStatuses() throws IOException {
    Path dir = root.resolve("status");
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.deleteIfExists(f);
      }
    }
  }

  private static long generationOf(Config c) {
    return Long.parseLong(Configs.labels(c).get(LABEL));
  }



  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from this JVM", e);
    }
  }
}
