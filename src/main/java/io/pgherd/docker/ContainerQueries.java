package io.pgherd.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.Frame;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.runtime.ContainerRuntime.Networking;
import java.io.Closeable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What the engine says about containers, changing nothing: the containers listed (by label or
 * name), one inspected (since when it runs, its networking, its address), its last output, and
 * the stream of container events.
 */
final class ContainerQueries {
  private final DockerClient client;
  private final EngineCalls calls;

  ContainerQueries(DockerClient client, EngineCalls calls) {
    this.client = client;
    this.calls = calls;
  }

  List<ContainerInfo> containers(String labelKey, String labelValue) {
    return call(() -> client.listContainersCmd().withShowAll(true)
        .withLabelFilter(Map.of(labelKey, labelValue)).exec()).stream().map(ContainerQueries::info).toList();
  }

  /** The container of exactly this name, if any. */
  Optional<ContainerInfo> container(String name) {
    return call(() -> client.listContainersCmd().withShowAll(true)
        .withNameFilter(List.of("^/" + name + "$")).exec()).stream().map(ContainerQueries::info).findFirst();
  }

  private static ContainerInfo info(Container c) {
    Map<Integer, Integer> ports = new HashMap<>();
    if (c.getPorts() != null) {
      for (var p : c.getPorts()) {
        if (p.getPublicPort() != null && p.getPrivatePort() != null) {
          ports.put(p.getPrivatePort(), p.getPublicPort());
        }
      }
    }
    String name = c.getNames() != null && c.getNames().length > 0
        ? c.getNames()[0].replaceFirst("^/", "") : c.getId();
    java.util.Set<String> networks = c.getNetworkSettings() == null || c.getNetworkSettings().getNetworks() == null
        ? java.util.Set.of() : java.util.Set.copyOf(c.getNetworkSettings().getNetworks().keySet());
    return new ContainerInfo(c.getId(), name, c.getImage(), c.getState(), c.getStatus(),
        c.getLabels() == null ? Map.of() : Map.copyOf(c.getLabels()), Map.copyOf(ports),
        c.getCreated() == null ? 0 : c.getCreated(), networks);
  }

  /** The last lines of a container's output, for error messages. */
  String logs(String container, int lines, boolean timestamps) {
    StringBuilder out = new StringBuilder();
    try {
      client.logContainerCmd(container).withStdOut(true).withStdErr(true).withTail(lines).withTimestamps(timestamps)
          .exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame frame) {
              out.append(new String(frame.getPayload(), java.nio.charset.StandardCharsets.UTF_8));
            }
          }).awaitCompletion(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (NotFoundException e) {
      return "";
    } catch (RuntimeException e) {
      return "(logs unavailable: " + e.getMessage() + ")";
    }
    return out.toString();
  }

  /** When the container's current run started, if it is running now (inspected, not listed). */
  Optional<java.time.Instant> runningSince(String container) {
    try {
      var state = call(() -> client.inspectContainerCmd(container).exec()).getState();
      if (state == null || !Boolean.TRUE.equals(state.getRunning()) || state.getStartedAt() == null) {
        return Optional.empty();
      }
      return Optional.of(java.time.Instant.parse(state.getStartedAt()));
    } catch (NotFoundException e) {
      return Optional.empty();
    }
  }

  /** Inspects a container (by id or name) for its networking; empty when there is none such. */
  Optional<Networking> networking(String container) {
    try {
      var inspect = call(() -> client.inspectContainerCmd(container).exec());
      var nets = inspect.getNetworkSettings() == null || inspect.getNetworkSettings().getNetworks() == null
          ? java.util.Set.<String>of() : java.util.Set.copyOf(inspect.getNetworkSettings().getNetworks().keySet());
      String mode = inspect.getHostConfig() == null ? null : inspect.getHostConfig().getNetworkMode();
      String name = inspect.getName() == null ? inspect.getId() : inspect.getName().replaceFirst("^/", "");
      return Optional.of(new Networking(inspect.getId(), name, mode == null ? "" : mode, nets));
    } catch (NotFoundException e) {
      return Optional.empty();
    }
  }

  /** The container's address on a network, if attached. */
  Optional<String> address(String container, String network) {
    try {
      var inspect = call(() -> client.inspectContainerCmd(container).exec());
      ContainerNetwork n = inspect.getNetworkSettings().getNetworks().get(network);
      return n == null ? Optional.empty() : Optional.ofNullable(n.getIpAddress());
    } catch (NotFoundException e) {
      return Optional.empty();
    }
  }

  /**
   * Streams container events carrying {@code labelKey} (die, start, stop, destroy, oom...) until
   * the returned handle is closed.
   */
  Closeable events(String labelKey, Consumer<ContainerRuntime.Event> listener, Consumer<Throwable> onError) {
    return client.eventsCmd().withLabelFilter(labelKey).withEventTypeFilter("container")
        .exec(new ResultCallback.Adapter<com.github.dockerjava.api.model.Event>() {
          @Override
          public void onNext(com.github.dockerjava.api.model.Event event) {
            Map<String, String> attrs = event.getActor() == null ? null : event.getActor().getAttributes();
            listener.accept(new ContainerRuntime.Event(event.getId(), event.getAction(),
                attrs == null ? Map.of() : attrs,
                event.getTimeNano() == null ? null : java.time.Instant.ofEpochSecond(0, event.getTimeNano())));
          }

          @Override
          public void onError(Throwable throwable) {
            onError.accept(throwable);
          }
        });
  }

  private <T> T call(EngineCalls.Call<T> call) {
    return calls.call(call);
  }
}
