package io.pgherd.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * What the engine was asked to do to a cluster's containers, as Docker's own event stream tells it
 * ({@code docker events}, the containers labelled with the cluster): every exec, and every archive
 * read or write, once the container has started. Files given to a container between its creation
 * and its first start are how a new container gets them, and are not counted.
 */
final class EngineWatch implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One event: the container's name, Docker's action ("exec_create: sh -c …", "extract-to-dir", ...). */
  record Event(String container, String action) {
    @Override
    public String toString() {
      return container + ": " + action;
    }
  }

  private final Process events;
  private final Thread reader;
  private final List<Event> all = new CopyOnWriteArrayList<>();
  private final List<Event> intrusions = new CopyOnWriteArrayList<>();
  private final Set<String> started = new HashSet<>();

  /**
   * Starts watching the containers labelled {@code io.pgherd.cluster=cluster}; the ones running
   * already count as started.
   */
  EngineWatch(String cluster) throws IOException {
    Process ps = new ProcessBuilder("docker", "ps", "--no-trunc", "--format", "{{.ID}}", "--filter",
        "label=io.pgherd.cluster=" + cluster).redirectErrorStream(true).start();
    String running = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (ps.waitFor() != 0) {
        throw new IOException("docker ps failed: " + running);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
    running.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(started::add);
    events = new ProcessBuilder("docker", "events", "--format", "{{json .}}", "--filter", "type=container",
        "--filter", "label=io.pgherd.cluster=" + cluster).redirectErrorStream(true).start();
    reader = new Thread(this::read, "engine-watch-" + cluster);
    reader.setDaemon(true);
    reader.start();
  }

  private void read() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(events.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        JsonNode e;
        try {
          e = JSON.readTree(line);
        } catch (IOException notJson) {
          continue;
        }
        String action = e.path("Action").asText(e.path("status").asText());
        String id = e.path("Actor").path("ID").asText(e.path("id").asText());
        String name = e.path("Actor").path("Attributes").path("name").asText(id);
        Event event = new Event(name, action);
        all.add(event);
        synchronized (started) {
          if (action.equals("start")) {
            started.add(id);
          } else if (action.equals("create")) {
            started.remove(id);
          } else if (started.contains(id) && (action.startsWith("exec_") || action.equals("extract-to-dir")
              || action.equals("archive-path"))) {
            intrusions.add(event);
          }
        }
      }
    } catch (IOException e) {
      // the process was stopped
    }
  }

  /** Execs and archive calls into running (or once started) containers, in order. */
  List<Event> intrusions() {
    return new ArrayList<>(intrusions);
  }

  /** Every event seen, in order. */
  List<Event> all() {
    return new ArrayList<>(all);
  }

  @Override
  public void close() throws InterruptedException {
    events.destroy();
    if (!events.waitFor(5, TimeUnit.SECONDS)) {
      events.destroyForcibly();
    }
    reader.join(5000);
  }
}
