package io.pgherd.cli;

import io.pgherd.docker.DockerGateway;
import io.pgherd.docker.EngineCalls;
import io.pgherd.store.Home;
import io.pgherd.store.HomeCipher;
import io.pgherd.swarm.OperatorLeadership;
import io.pgherd.swarm.OperatorService;
import io.pgherd.swarm.RemoteCli;
import io.pgherd.swarm.SwarmHome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the operator does besides reconciling when it runs on a Docker Swarm: the lease that makes
 * one of its replicas the one that acts ({@link OperatorLeadership}: waited for before anything
 * else, kept while it runs; lost, the process stops at once, exit 3), its home kept in the
 * Swarm ({@link SwarmHome}: restored before anything, stored after each change, at once after each
 * write of an intent or a secret and after each command answered), and the command lines of every
 * manager answered ({@link RemoteCli}). When another operator has taken the home over, this one
 * stops at once (exit 3), acting on nothing more.
 */
final class SwarmOperatorSide implements AutoCloseable {
  /** Where the operator's key is: the Swarm secret its service mounts, unless the environment names another file. */
  static final String KEY_FILE_ENV = "PGHERD_OPERATOR_KEY_FILE";
  static final String KEY_FILE = "/run/secrets/" + OperatorService.KEY_SECRET;

  private final DockerGateway docker;
  private final Home home;
  private final SwarmHome swarmHome;
  private final OperatorLeadership leadership;
  private volatile RemoteCli remote;

  private SwarmOperatorSide(DockerGateway docker, Home home, SwarmHome swarmHome, OperatorLeadership leadership) {
    this.leadership = leadership;
    this.docker = docker;
    this.home = home;
    this.swarmHome = swarmHome;
  }

  /**
   * Once this replica holds the operator lease (a standby waits here, saying who leads): the home
   * restored from the Swarm (said on stderr). A missing or unusable key is a UserError, nothing changed.
   */
  static SwarmOperatorSide open(DockerGateway docker, Home home) throws InterruptedException {
    Path key = Path.of(System.getenv().getOrDefault(KEY_FILE_ENV, KEY_FILE));
    if (!Files.isReadable(key)) {
      throw new Main.UserError("on a Docker Swarm the operator keeps its home in the Swarm, sealed with its key, and "
          + key + " cannot be read: run it with `pgherd operator deploy` (which mounts the Swarm secret "
          + OperatorService.KEY_SECRET + " there), or name a key file in " + KEY_FILE_ENV, 2);
    }
    // its own client, whose calls give up within seconds: a renewal must not hang while a Swarm elects a leader
    OperatorLeadership leadership = OperatorLeadership.forThisProcess(docker.briefClient(),
        said -> System.err.println("pgherd operator: " + said));
    leadership.acquire();
    leadership.keep(SwarmOperatorSide::stopActing);
    io.pgherd.runtime.Acting.onlyWhile(() -> steppingOff != null ? steppingOff : leadership.whyNotActing());
    try {
      home.createRoot();
      SwarmHome swarmHome = new SwarmHome(docker.client(), new EngineCalls(docker.host()), home.root(),
          HomeCipher.fromFile(key), leadership::leads);
      System.err.println(swarmHome.restore());
      SwarmOperatorSide side = new SwarmOperatorSide(docker, home, swarmHome, leadership);
      // from the first pass on: an intent or a secret not stored in the Swarm is not acted on (the pass fails, and retries)
      home.afterDurableWrite(() -> {
        String failed = side.publishNow();
        if (failed != null) {
          throw new IllegalStateException(failed);
        }
      });
      return side;
    } catch (IOException | RuntimeException e) { // a Swarm that stops answering, or the lease paused meanwhile
      leadership.close();
      throw new Main.UserError("the operator's home cannot be restored from the Swarm: " + e.getMessage(), 1);
    }
  }

  /**
   * Once the operator runs: the home stored on every change, the command lines of every manager
   * answered, the acting replica kept off the primaries' nodes and the raft leader's while a standby
   * waits elsewhere ({@link io.pgherd.swarm.LeaderPlacement}), and
   * the primaries off the node of the Swarm's raft leader ({@link PrimaryPlacementLoop}).
   */
  void start() {
    leadership.keepPlaced(this::primariesByNode, why -> {
      // the home as it is now stored first: the standby that takes over starts from it
      String failed = publishNow();
      if (failed != null) {
        return false;
      }
      System.err.println("pgherd operator: stepping off: " + why);
      try { // a command under way is finished first (its caller would wait for it in vain)
        if (remote != null && !remote.finishTaken(java.time.Duration.ofSeconds(10))) {
          System.err.println("pgherd operator: a command line still runs after 10 s; its caller is told this replica stopped");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      // passes went on meanwhile (a re-clone, say): no new one, no word to an agent, and what they wrote stored
      // too, within a few seconds (a Swarm that does not answer leaves the home as stored above: a crash's case)
      steppingOff = "stepping off: " + why;
      java.util.concurrent.CompletableFuture<String> last = java.util.concurrent.CompletableFuture.supplyAsync(this::publishNow);
      try {
        String failedAgain = last.get(5, java.util.concurrent.TimeUnit.SECONDS);
        if (failedAgain != null) {
          System.err.println("pgherd operator: stepping off with the home as stored before: " + failedAgain);
        }
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        System.err.println("pgherd operator: stepping off with the home as stored before: " + e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Runtime.getRuntime().halt(0);
      return true;
    });
    if (PrimaryPlacementLoop.on()) {
      new PrimaryPlacementLoop(docker.client(), home, leadership.me(), said -> System.err.println("pgherd operator: "
          + said)).start();
    }
    swarmHome.start(SwarmOperatorSide::stopActing, why -> System.err.println("warning: " + why));
    remote = new RemoteCli(docker.client(), new EngineCalls(docker.host()), leadership.me());
    remote.serve(request -> {
      if (!request.args().isEmpty() && request.args().get(0).equals(RemotePsql.REQUEST)) {
        return RemotePsql.answer(home, request.args()); // reads only: nothing to store
      }
      RemoteCli.Answer answer = RemoteCommand.runHere(request);
      // what the command stored (a spec, a request) is in the Swarm before it is answered
      String failed = publishNow();
      return failed == null ? answer : new RemoteCli.Answer(1, answer.output() + "error: " + failed + "\n");
    }, why -> System.err.println("warning: " + why));
  }

  /**
   * The clusters' primaries per node, as their last status says; null while a cluster is not
   * {@link io.pgherd.swarm.LeaderPlacement#settled settled} (or not looked at yet by this replica):
   * the acting replica steps off only when all is quiet.
   */
  private java.util.Map<String, Integer> primariesByNode() {
    java.util.Map<String, Integer> out = new java.util.HashMap<>();
    for (String cluster : home.clusters()) {
      var status = home.readStatus(cluster);
      var members = java.util.Optional.ofNullable(status.isEmpty() ? null : status.get().getMembers())
          .orElse(java.util.List.of());
      if (status.isEmpty() || !io.pgherd.swarm.LeaderPlacement.settled(status.get().getPhase(), members.stream()
          .filter(m -> "primary".equals(m.getRole())).map(m -> String.valueOf(m.getState())).toList())) {
        return null;
      }
      members.stream().filter(m -> "primary".equals(m.getRole()) && m.getNode() != null)
          .forEach(m -> out.merge(m.getNode(), 1, Integer::sum));
    }
    return out;
  }

  /** Stores the home now; null, or why it could not be (said as a warning too). */
  private String publishNow() {
    try {
      swarmHome.publish();
      return null;
    } catch (SwarmHome.Lost e) {
      stopActing(e.getMessage());
      return e.getMessage();
    } catch (IOException | RuntimeException e) {
      String why = "the home cannot be stored in the Swarm now (retried): " + e.getMessage();
      System.err.println("warning: " + why);
      return why;
    }
  }

  @Override
  public void close() throws IOException {
    if (remote != null) {
      remote.close();
    }
    swarmHome.close();
    leadership.close(); // last: a standby takes over once this one has stored the home for the last time
  }

  /** Set once this replica steps off: it starts no pass and says no word to an agent (why, as {@link io.pgherd.runtime.Acting} says it). */
  private static volatile String steppingOff;

  /** Another operator has taken the home over, or the lease is lost: this one stops at once, acting on nothing more. */
  private static void stopActing(String why) {
    System.err.println("pgherd operator: " + why);
    Runtime.getRuntime().halt(3);
  }
}
