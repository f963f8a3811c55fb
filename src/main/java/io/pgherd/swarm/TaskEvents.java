package io.pgherd.swarm;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.Task;
import io.pgherd.docker.EngineCalls;
import io.pgherd.runtime.ContainerRuntime.Event;
import java.io.Closeable;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Container events on a Swarm, as far as they can be had: a manager's event stream has no task
 * events, and container events only of its own node. So this looks at the services carrying a
 * label and at their tasks every {@link #PERIOD} and says "start" when a service's current task
 * came to run and "die" when it stopped running (the task's own timestamp as the time), the
 * service's labels and name as the attributes. Two calls a look, whatever the number of services.
 */
final class TaskEvents implements Closeable {
  static final Duration PERIOD = Duration.ofSeconds(1);

  private final Thread thread;
  private volatile boolean closed;

  TaskEvents(DockerClient client, EngineCalls calls, String labelKey, Consumer<Event> listener, Consumer<Throwable> onError) {
    this.thread = new Thread(() -> {
      Map<String, String> seen = null; // service id → "task id:running?"
      while (!closed) {
        try {
          List<Service> services = calls.call(() -> client.listServicesCmd().exec()).stream()
              .filter(s -> s.getSpec().getLabels() != null && s.getSpec().getLabels().containsKey(labelKey)).toList();
          Map<String, List<Task>> tasks = calls.call(() -> client.listTasksCmd().exec()).stream()
              .filter(t -> t.getServiceId() != null).collect(Collectors.groupingBy(Task::getServiceId));
          Map<String, String> now = new HashMap<>();
          for (Service s : services) {
            Optional<Task> t = TaskView.current(tasks.getOrDefault(s.getId(), List.of()));
            boolean runs = t.filter(TaskView::runs).isPresent();
            now.put(s.getId(), t.map(Task::getId).orElse("") + ":" + runs);
            if (seen != null) {
              String before = seen.get(s.getId());
              boolean ran = before != null && before.endsWith(":true");
              String action = runs && !now.get(s.getId()).equals(before) ? "start" : !runs && ran ? "die" : null;
              if (action != null) {
                Map<String, String> attributes = new HashMap<>(s.getSpec().getLabels());
                attributes.put("name", s.getSpec().getName());
                Instant at = t.flatMap(TaskView::since).orElse(null);
                listener.accept(new Event(s.getId(), action, attributes, at));
              }
            }
          }
          seen = now;
          Thread.sleep(PERIOD.toMillis());
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          if (!closed) {
            onError.accept(e);
          }
          return;
        }
      }
    }, "pgherd-swarm-task-events");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}
