package io.pgherd.swarm;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ContainerSpec;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.ServiceModeConfig;
import com.github.dockerjava.api.model.ServicePlacement;
import com.github.dockerjava.api.model.ServiceReplicatedModeOptions;
import com.github.dockerjava.api.model.ServiceRestartCondition;
import com.github.dockerjava.api.model.ServiceRestartPolicy;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.api.model.TaskSpec;
import com.github.dockerjava.api.model.TaskState;
import io.pgherd.docker.EngineCalls;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A volume's data removed on whichever node it lives: a manager cannot remove another node's
 * volume, so a one-shot task of the service {@code pgherd-purge-HASH} (of the volume and node), pinned to that node, with
 * the volume mounted, deletes everything in it (the image is the one the volume was made for,
 * present there). The emptied volume itself stays on the node (a few bytes; a member made again
 * with that name starts on it empty, as on a new volume). A node that is down cannot be purged:
 * the call fails, saying so, and nothing is forgotten.
 */
final class VolumePurge {
  static final String PREFIX = "pgherd-purge-";
  static final Duration PATIENCE = Duration.ofSeconds(90);
  /** The image when none was recorded for the volume (made by an older pgherd). */
  static final String DEFAULT_IMAGE = "pgherd/postgres:15";

  private final DockerClient client;
  private final EngineCalls calls;

  VolumePurge(DockerClient client, EngineCalls calls) {
    this.client = client;
    this.calls = calls;
  }

  /** Empties {@code volume} on {@code node}; an IllegalStateException naming why when it could not be done in time. */
  void purge(String volume, String node, Optional<String> image) {
    // one name per volume and node, short enough for a DNS label whatever the volume's name
    String name = PREFIX + SwarmHome.sha256((volume + "@" + node).getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .substring(0, 16);
    removeService(name); // what an interrupted earlier purge left
    ServiceSpec spec = new ServiceSpec().withName(name).withLabels(Map.of("io.pgherd.component", "purge"))
        .withMode(new ServiceModeConfig().withReplicated(new ServiceReplicatedModeOptions().withReplicas(1)))
        .withTaskTemplate(new TaskSpec()
            .withContainerSpec(new ContainerSpec().withImage(image.orElse(DEFAULT_IMAGE))
                .withCommand(List.of("sh", "-c", "find /purged -mindepth 1 -delete"))
                .withUser("0")
                .withMounts(List.of(new Mount().withType(MountType.VOLUME).withSource(volume).withTarget("/purged"))))
            .withRestartPolicy(new ServiceRestartPolicy().withCondition(ServiceRestartCondition.NONE))
            .withPlacement(new ServicePlacement().withConstraints(List.of("node.id==" + node))));
    try {
      calls.call(() -> client.createServiceCmd(spec).exec());
    } catch (ConflictException e) {
      throw new IllegalStateException("the data of volume " + volume + " on node " + node + " is being removed by"
          + " another call (service " + name + "); not waited for here", e);
    }
    try {
      long deadline = System.nanoTime() + PATIENCE.toNanos();
      while (System.nanoTime() < deadline) {
        List<Task> tasks = calls.call(() -> client.listTasksCmd().withServiceFilter(name).exec());
        Optional<TaskState> state = tasks.stream().filter(t -> t.getStatus() != null)
            .map(t -> t.getStatus().getState()).findFirst();
        if (state.isPresent() && state.get() == TaskState.COMPLETE) {
          return;
        }
        if (state.isPresent() && (state.get() == TaskState.FAILED || state.get() == TaskState.REJECTED)) {
          String err = tasks.get(0).getStatus().getErr();
          throw new IllegalStateException("the data of volume " + volume + " on node " + node
              + " could not be removed: " + state.get().name().toLowerCase() + (err == null ? "" : " (" + err + ")"));
        }
        Thread.sleep(500);
      }
      throw new IllegalStateException("the data of volume " + volume + " on node " + node + " was not removed within "
          + PATIENCE.toSeconds() + " s (is the node down? `docker node ls`); it is still there");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while removing the data of volume " + volume, e);
    } finally {
      removeService(name);
    }
  }

  private void removeService(String name) {
    try {
      calls.call(() -> {
        client.removeServiceCmd(name).exec();
        return null;
      });
    } catch (NotFoundException e) {
      // none
    }
  }
}
