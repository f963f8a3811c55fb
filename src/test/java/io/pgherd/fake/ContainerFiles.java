package io.pgherd.fake;

import io.pgherd.runtime.ContainerSpec.FileContent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What goes into and comes out of the {@link FakeEngine}'s containers: files copied in and read
 * back (PostgreSQL's own files from {@link FakePostgres}), execs (the load balancer's admin socket
 * answered by {@link FakeHaproxy}; failing ones by {@link #failExec}) and output lines. Called with
 * the engine's lock held.
 */
final class ContainerFiles {
  private record ExecFailure(String container, String fragment, String message) {}

  private final List<ExecFailure> execFailures = new CopyOnWriteArrayList<>();
  private final ContainerStore store;
  private final FakePostgres postgres;
  private final FakeHaproxy haproxy;

  ContainerFiles(ContainerStore store, FakePostgres postgres, FakeHaproxy haproxy) {
    this.store = store;
    this.postgres = postgres;
    this.haproxy = haproxy;
  }

  /** See {@link FakeEngine#failExec}. */
  void failExec(String container, String fragment, String message) {
    execFailures.add(new ExecFailure(container, fragment, message));
  }

  void clearExecFailures() {
    execFailures.clear();
  }

  void copyFiles(String container, Map<String, FileContent> files) {
    FakeContainer c = store.existing(container, "copy " + container + " " + baseNames(files.keySet()));
    store.record("copy " + c.name + " " + baseNames(files.keySet()));
    c.files.putAll(files);
  }

  /** A tar stream copied in (its bytes already read): recorded, its content not kept. */
  void copyTar(String container, String remotePath) {
    FakeContainer c = store.existing(container, "copy-tar " + container + " " + remotePath);
    store.record("copy-tar " + c.name + " " + remotePath);
  }

  Optional<byte[]> readFile(String container, String path) {
    Optional<FakeContainer> c = store.find(container);
    if (c.isEmpty()) {
      return Optional.empty();
    }
    store.record("read " + c.get().name + " " + path);
    Optional<byte[]> simulated = postgres.processes().readFile(c.get(), path);
    if (simulated.isPresent()) {
      return simulated;
    }
    FileContent f = c.get().files.get(path);
    return f == null ? Optional.empty() : Optional.of(f.content().clone());
  }

  /** The message of the first {@link #failExec} switch {@code command} in {@code c} matches, if any. */
  java.util.Optional<String> execFailure(FakeContainer c, String command) {
    return execFailures.stream().filter(f -> f.container().equals(c.name) && command.contains(f.fragment()))
        .map(ExecFailure::message).findFirst();
  }

  String exec(String container, String... command) {
    String line = String.join(" ", command);
    FakeContainer c = store.existing(container, "exec " + container + " " + line);
    if (!c.running()) {
      store.record("exec " + c.name + " " + line + " [failed: not running]");
      throw new IllegalStateException("Container " + c.name + " is not running");
    }
    for (ExecFailure f : execFailures) {
      if (f.container().equals(c.name) && line.contains(f.fragment())) {
        store.record("exec " + c.name + " " + line + " [failed: " + f.message() + "]");
        throw new IllegalStateException(line + " in " + c.id + " exited 1: " + f.message());
      }
    }
    store.record("exec " + c.name + " " + line);
    return c.member() ? "" : haproxy.admin(c, line);
  }

  /** An exec fed with input (its bytes already read): recorded, answers nothing. */
  String execWithInput(String container, String... command) {
    String line = String.join(" ", command);
    FakeContainer c = store.existing(container, "exec " + container + " " + line);
    store.record("exec " + c.name + " " + line + " <input");
    return "";
  }

  /** The last {@code lines} output lines, one per line. */
  String logs(String container, int lines) {
    Optional<FakeContainer> c = store.find(container);
    if (c.isEmpty()) {
      return "";
    }
    List<String> all = c.get().logs;
    StringBuilder out = new StringBuilder();
    all.subList(Math.max(0, all.size() - lines), all.size()).forEach(l -> out.append(l).append('\n'));
    return out.toString();
  }

  private static String baseNames(Set<String> paths) {
    List<String> names = new ArrayList<>();
    paths.forEach(p -> names.add(p.substring(p.lastIndexOf('/') + 1)));
    return names.toString();
  }
}
