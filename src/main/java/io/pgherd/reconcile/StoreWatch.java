package io.pgherd.reconcile;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's wait between two scans of its home: up to a timeout, or until a file in one of
 * the watched directories (stored specs, requests of the CLI) is created, changed or removed —
 * inotify on Linux, through the JDK's WatchService — so a `pgherd apply` or a request is picked up
 * within milliseconds instead of up to a scan interval later. A directory that does not exist yet
 * is registered once it does (at the next wait); where no WatchService can be had, it just sleeps.
 */
final class StoreWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StoreWatch.class);

  private final List<Path> dirs;
  private final WatchService service;
  private final Set<Path> registered = new HashSet<>();
  private final Set<Path> warned = new HashSet<>();

  StoreWatch(Path... dirs) {
    this.dirs = List.of(dirs);
    WatchService s = null;
    try {
      s = FileSystems.getDefault().newWatchService();
    } catch (IOException | UnsupportedOperationException e) {
      LOG.warn("cannot watch {} for changes ({}); scanning at intervals only", this.dirs, e.toString());
    }
    service = s;
  }

  /** Returns after {@code timeout}, or sooner when a watched directory changed. */
  void await(Duration timeout) throws InterruptedException {
    if (service == null) {
      Thread.sleep(timeout.toMillis());
      return;
    }
    for (Path dir : dirs) {
      if (!registered.contains(dir) && Files.isDirectory(dir)) {
        try {
          dir.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
              StandardWatchEventKinds.ENTRY_DELETE);
          registered.add(dir);
        } catch (IOException e) {
          if (warned.add(dir)) {
            LOG.warn("cannot watch {} for changes ({}); scanning it at intervals only", dir, e.toString());
          }
        }
      }
    }
    WatchKey key = service.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    while (key != null) { // everything pending: one scan sees it all
      key.pollEvents();
      if (!key.reset()) {
        registered.remove((Path) key.watchable()); // the directory went: registered again if it comes back
      }
      key = service.poll();
    }
  }

  @Override
  public void close() {
    if (service != null) {
      try {
        service.close();
      } catch (IOException e) {
        LOG.warn("closing the watch of {}: {}", dirs, e.toString());
      }
    }
  }
}
