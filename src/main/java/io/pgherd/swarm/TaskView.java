package io.pgherd.swarm;

import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.api.model.TaskState;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a one-replica service's tasks say about it as a container (pure): the task that stands for
 * it now, and Docker's container state for it. Swarm keeps a service's old tasks (shut down,
 * failed) beside the current one; the current one is the newest meant to run ({@link #meantToRun}),
 * else the newest of all (a stopped service).
 */
final class TaskView {
  private TaskView() {}

  /** The task that stands for the service now; empty when it has none (never started). */
  static Optional<Task> current(List<Task> tasks) {
    Comparator<Task> newest = Comparator.comparing(TaskView::createdAt);
    Optional<Task> wanted = tasks.stream().filter(TaskView::meantToRun).max(newest);
    return wanted.isPresent() ? wanted : tasks.stream().max(newest);
  }

  /**
   * Docker's word for the task's state: running; created while it is on its way (assigned,
   * preparing, starting, or pending for want of a node); exited once it ended or is ending.
   * No task at all is a container that was never started: created.
   */
  static String state(Optional<Task> task) {
    if (task.isEmpty() || task.get().getStatus() == null || task.get().getStatus().getState() == null) {
      return "created";
    }
    TaskState s = task.get().getStatus().getState();
    if (s == TaskState.RUNNING) {
      return task.get().getDesiredState() == TaskState.RUNNING ? "running" : "removing";
    }
    return switch (s) {
      case NEW, ALLOCATED, PENDING, ASSIGNED, ACCEPTED, PREPARING, READY, STARTING -> "created";
      default -> "exited";
    };
  }

  /** For messages and status: the task's state as Swarm says it, with its error or message when it has one. */
  static String status(Optional<Task> task) {
    if (task.isEmpty() || task.get().getStatus() == null) {
      return "no task";
    }
    var st = task.get().getStatus();
    String s = st.getState() == null ? "unknown" : st.getState().getValue();
    if (st.getErr() != null && !st.getErr().isBlank()) {
      return s + ": " + st.getErr();
    }
    if (st.getState() != TaskState.RUNNING && st.getMessage() != null && !st.getMessage().isBlank()) {
      return s + ": " + st.getMessage();
    }
    return s;
  }

  /** Whether the task runs and is meant to. */
  static boolean runs(Task t) {
    return t.getDesiredState() == TaskState.RUNNING && t.getStatus() != null && t.getStatus().getState() == TaskState.RUNNING;
  }

  /**
   * Whether Swarm means the task to run: its desired state is running, or ready — a task an update
   * or a restart made, held prepared until the task it replaces has stopped (or a restart delay
   * passed), then told to run. Such a task is the service's new one, on its way: starting the
   * service again then (a forced update) would replace it before it ever runs, and so on forever.
   */
  static boolean meantToRun(Task t) {
    return t.getDesiredState() == TaskState.RUNNING || t.getDesiredState() == TaskState.READY;
  }

  /** Whether the task is meant to run ({@link #meantToRun}) and runs, or is on its way to (assigned, preparing, starting...). */
  static boolean underWay(Task t) {
    if (!meantToRun(t) || t.getStatus() == null || t.getStatus().getState() == null) {
      return false;
    }
    return switch (t.getStatus().getState()) {
      case NEW, ALLOCATED, PENDING, ASSIGNED, ACCEPTED, PREPARING, READY, STARTING, RUNNING -> true;
      default -> false;
    };
  }

  /** A global service's state: running when any of its tasks runs. */
  static String globalState(List<Task> tasks) {
    if (tasks.stream().anyMatch(TaskView::runs)) {
      return "running";
    }
    return tasks.stream().anyMatch(TaskView::underWay) ? "created" : tasks.isEmpty() ? "created" : "exited";
  }

  /** The task's address on {@code network}, from its network attachments (raw: docker-java does not model them). */
  @SuppressWarnings("unchecked")
  static Optional<String> address(Task task, String network) {
    Object attachments = task.getRawValues().get("NetworksAttachments");
    if (!(attachments instanceof List<?> list)) {
      return Optional.empty();
    }
    for (Object a : list) {
      Map<String, Object> attachment = (Map<String, Object>) a;
      Map<String, Object> net = (Map<String, Object>) attachment.get("Network");
      Map<String, Object> spec = net == null ? null : (Map<String, Object>) net.get("Spec");
      List<String> addresses = (List<String>) attachment.get("Addresses");
      if (spec != null && network.equals(spec.get("Name")) && addresses != null && !addresses.isEmpty()) {
        return Optional.of(addresses.get(0).replaceFirst("/\\d+$", ""));
      }
    }
    return Optional.empty();
  }

  /** The names of the networks the task is attached to (raw network attachments, as {@link #address}). */
  @SuppressWarnings("unchecked")
  static List<String> networkNames(Task task) {
    Object attachments = task.getRawValues().get("NetworksAttachments");
    List<String> names = new java.util.ArrayList<>();
    if (attachments instanceof List<?> list) {
      for (Object a : list) {
        Map<String, Object> net = (Map<String, Object>) ((Map<String, Object>) a).get("Network");
        Map<String, Object> spec = net == null ? null : (Map<String, Object>) net.get("Spec");
        if (spec != null && spec.get("Name") != null) {
          names.add(spec.get("Name").toString());
        }
      }
    }
    return names;
  }

  /** When the task entered its current state, if Swarm says so. */
  static Optional<Instant> since(Task task) {
    return task.getStatus() == null ? Optional.empty() : parse(task.getStatus().getTimestamp());
  }

  private static Instant createdAt(Task t) {
    return parse(t.getCreatedAt()).orElse(Instant.EPOCH);
  }

  private static Optional<Instant> parse(String rfc3339) {
    if (rfc3339 == null || rfc3339.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(rfc3339));
    } catch (java.time.format.DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
