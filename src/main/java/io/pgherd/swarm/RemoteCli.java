package io.pgherd.swarm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Config;
import io.pgherd.docker.EngineCalls;
import java.io.IOException;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The command line from any manager of a Swarm: a command given on one manager travels to the
 * operator's service, wherever it runs, through the Swarm's own store — a Swarm config
 * {@code pgherd-cli.ID} holds the request (the arguments, and the files they name), the operator
 * runs it as its own command line would and answers in {@code pgherd-cli.ID.answer} (exit code and
 * output); the caller prints the answer and removes both. Anyone who can make Swarm configs can
 * already run any container on the Swarm: this gives nobody more than that.
 */
public final class RemoteCli {
  static final String PREFIX = "pgherd-cli.";
  static final String LABEL = "io.pgherd.cli";
  /** A config holds up to 500 KB: a longer output keeps its end. */
  static final int MAX_OUTPUT = 400 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What the caller asks: the arguments, and the contents of the files they name (by the placeholder in the arguments). */
  public record Request(List<String> args, Map<String, String> files) {}

  /** What the operator answers. */
  public record Answer(int exitCode, String output) {}

  private final DockerClient client;
  private final EngineCalls calls;
  /** The operator's task id, written in each request it takes (empty for a caller). */
  private final String me;
  /** The requests taken (by name) while their configs are there. */
  private final Set<String> handled = new HashSet<>();
  /** Requests taken and not answered yet. */
  private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
  private volatile boolean closed;
  /** How often a caller whose request was taken looks whether the operator that took it still runs. */
  static final long TAKER_CHECK_MS = 3000;

  /** A caller's. */
  public RemoteCli(DockerClient client, EngineCalls calls) {
    this(client, calls, "");
  }

  /** The operator's: {@code me} (its task id) is written in the requests it takes, so a caller can tell when it is gone. */
  public RemoteCli(DockerClient client, EngineCalls calls, String me) {
    this.client = client;
    this.calls = calls;
    this.me = me;
  }

  /** A file's content as a request carries it. */
  public static String encode(byte[] content) {
    return Base64.getEncoder().encodeToString(content);
  }

  public static byte[] decode(String content) {
    return Base64.getDecoder().decode(content);
  }

  // ------------------------------------------------------------------ the caller

  /**
   * Leaves the request and waits up to {@code timeout} for the answer; empty when none came (no
   * operator running, or a command longer than that); the request is removed either way.
   */
  public Optional<Answer> call(Request request, Duration timeout) throws IOException, InterruptedException {
    String name = PREFIX + UUID.randomUUID().toString().substring(0, 12);
    byte[] data = JSON.writeValueAsBytes(request);
    calls.call(() -> client.createConfigCmd().withName(name).withLabels(Map.of(LABEL, "request")).withData(data).exec());
    try {
      long deadline = System.nanoTime() + timeout.toNanos();
      long nextCheck = System.nanoTime() + TAKER_CHECK_MS * 1_000_000;
      while (System.nanoTime() < deadline) {
        Optional<Config> answer = inspect(name + ".answer");
        if (answer.isPresent()) {
          Configs.remove(client, calls, answer.get().getId());
          return Optional.of(JSON.readValue(Configs.data(answer.get()), Answer.class));
        }
        if (System.nanoTime() > nextCheck) {
          nextCheck = System.nanoTime() + TAKER_CHECK_MS * 1_000_000;
          Optional<String> gone = takerGone(name);
          if (gone.isPresent()) {
            inspect(name + ".answer").ifPresent(a -> Configs.remove(client, calls, a.getId()));
            return Optional.of(new Answer(1, "error: the operator that took this command (task " + gone.get()
                + ") stopped before it answered (a step-off, a lease lost, its node lost): it may or may not have"
                + " been carried out; `pgherd get` and `pgherd status` show where things stand; ask again\n"));
          }
        }
        Thread.sleep(300);
      }
      return Optional.empty();
    } finally {
      for (String left : List.of(name, name + ".taken", name + ".answer")) {
        inspect(left).ifPresent(c -> Configs.remove(client, calls, c.getId()));
      }
    }
  }

  /**
   * The task of the operator that took the request, when the Swarm says it no longer runs (ended,
   * or on a node that is not ready); empty while it runs, or while nobody took it.
   */
  private Optional<String> takerGone(String name) throws IOException {
    Optional<Config> taken = inspect(name + ".taken");
    if (taken.isEmpty()) {
      return Optional.empty();
    }
    String taker = new String(Configs.data(taken.get()), java.nio.charset.StandardCharsets.UTF_8).strip();
    if (taker.isEmpty() || taker.equals("1")) {
      return Optional.empty(); // an operator of an earlier pgherd: it does not say who it is
    }
    List<com.github.dockerjava.api.model.Task> tasks = calls.call(() -> client.listTasksCmd().withIdFilter(taker).exec());
    Optional<com.github.dockerjava.api.model.Task> t = tasks.stream().filter(x -> taker.equals(x.getId())).findFirst();
    boolean runs = t.isPresent() && t.get().getStatus() != null
        && t.get().getStatus().getState() == com.github.dockerjava.api.model.TaskState.RUNNING
        && t.get().getDesiredState() == com.github.dockerjava.api.model.TaskState.RUNNING
        && nodeReady(t.get().getNodeId());
    return runs ? Optional.empty() : Optional.of(taker);
  }

  private boolean nodeReady(String node) {
    return calls.call(() -> client.listSwarmNodesCmd().withIdFilter(List.of(node)).exec()).stream()
        .anyMatch(n -> n.getStatus() != null
            && n.getStatus().getState() == com.github.dockerjava.api.model.SwarmNodeState.READY);
  }

  // ------------------------------------------------------------------ the operator

  /** Answers every request left, every half second, with {@code handler}; {@code warn} hears what fails. */
  public void serve(Function<Request, Answer> handler, Consumer<String> warn) {
    Thread t = new Thread(() -> {
      while (!closed) {
        try {
          List<Config> requests = calls.call(() -> client.listConfigsCmd()
              .withFilters(Map.of("label", List.of(LABEL + "=request"))).exec());
          handled.retainAll(requests.stream().map(Configs::name).toList()); // the callers removed the others
          for (Config c : requests) {
            String name = Configs.name(c);
            if (handled.add(name)) {
              Thread one = new Thread(() -> answer(name, handler, warn), "pgherd-cli " + name);
              one.setDaemon(true);
              one.start();
            }
          }
        } catch (RuntimeException e) {
          warn.accept("cannot look for command lines left in the Swarm: " + e.getMessage());
        }
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "pgherd-remote-cli");
    t.setDaemon(true);
    t.start();
  }

  private void answer(String name, Function<Request, Answer> handler, Consumer<String> warn) {
    try {
      Optional<Config> c = inspect(name);
      if (c.isEmpty()) {
        return; // the caller gave up and removed it
      }
      try { // taken once, by one operator: a command that one began is never run again by the next
        calls.call(() -> client.createConfigCmd().withName(name + ".taken").withLabels(Map.of(LABEL, "taken"))
            .withData((me.isEmpty() ? "1" : me).getBytes(java.nio.charset.StandardCharsets.UTF_8)).exec());
      } catch (ConflictException e) {
        return;
      }
      inFlight.incrementAndGet();
      try { // carried out and answered: counted until the answer is written
        Answer a = handler.apply(JSON.readValue(Configs.data(c.get()), Request.class));
        String out = a.output().length() > MAX_OUTPUT
            ? "(the first " + (a.output().length() - MAX_OUTPUT) + " characters left out)\n"
                + a.output().substring(a.output().length() - MAX_OUTPUT) : a.output();
        byte[] data = JSON.writeValueAsBytes(new Answer(a.exitCode(), out));
        writeAnswer(name, data, warn);
      } finally {
        inFlight.decrementAndGet();
      }
    } catch (ConflictException e) {
      // answered already
    } catch (IOException | RuntimeException e) {
      warn.accept("cannot answer the command line " + name + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** How long the answer of a command carried out is tried again when the Swarm will not store it (an election). */
  static final long ANSWER_RETRY_MS = 60_000;

  /**
   * The answer stored for the caller, tried again every second for {@link #ANSWER_RETRY_MS}: the
   * command was carried out and taken (no other operator runs it again), so an answer lost to a
   * Swarm electing a leader would leave its caller waiting for as long as it waits.
   */
  private void writeAnswer(String name, byte[] data, Consumer<String> warn) throws InterruptedException {
    long until = System.nanoTime() + ANSWER_RETRY_MS * 1_000_000;
    boolean said = false;
    while (true) {
      try {
        calls.call(() -> client.createConfigCmd().withName(name + ".answer").withLabels(Map.of(LABEL, "answer"))
            .withData(data).exec());
        return;
      } catch (ConflictException e) {
        return; // stored by an earlier try whose reply was lost
      } catch (RuntimeException e) {
        if (System.nanoTime() >= until) {
          throw e;
        }
        if (!said) {
          warn.accept("cannot store the answer of the command line " + name + " yet (tried again every second for "
              + ANSWER_RETRY_MS / 1000 + " s): " + e.getMessage());
          said = true;
        }
      }
      Thread.sleep(1000);
    }
  }

  public void close() {
    closed = true;
  }

  /**
   * Stops taking requests and waits (at most {@code within}) until those taken are carried out and
   * answered: before the operator steps off, so that no command it began is left half done; a
   * caller that finds no answer tells its user when the operator that took it is gone.
   */
  public boolean finishTaken(Duration within) throws InterruptedException {
    closed = true;
    long deadline = System.nanoTime() + within.toNanos();
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    return inFlight.get() == 0;
  }

  private Optional<Config> inspect(String name) {
    try {
      return Optional.of(calls.call(() -> client.inspectConfigCmd(name).exec()));
    } catch (NotFoundException e) {
      return Optional.empty();
    }
  }



}
