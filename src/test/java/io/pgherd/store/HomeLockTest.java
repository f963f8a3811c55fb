package io.pgherd.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator lock: one holder per home, and an in-process second attempt never frees it. */
class HomeLockTest {
  @TempDir Path dir;

  /** Whether another process can take the same (fcntl) lock now. */
  private boolean lockableFromAnotherProcess(Path file) throws Exception {
    Process p = new ProcessBuilder("python3", "-c", "import fcntl,sys\nf=open(sys.argv[1],'w')\n"
        + "try:\n  fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept OSError:\n  sys.exit(3)\n", file.toString())
        .redirectErrorStream(true).start();
    return p.waitFor() == 0;
  }

  @Test
  void aSecondAttemptInTheSameProcessIsRefusedAndTheLockStaysHeld() throws Exception {
    Home home = new Home(dir);
    Optional<AutoCloseable> first = home.tryLock();
    assertThat(first).isPresent();
    assertThat(lockableFromAnotherProcess(home.lockFile())).isFalse();
    for (int i = 0; i < 3; i++) {
      assertThat(new Home(dir).tryLock()).as("held by this process").isEmpty();
    }
    System.gc();
    Thread.sleep(200);
    assertThat(lockableFromAnotherProcess(home.lockFile())).as("still held after the refused attempts").isFalse();
    first.get().close();
    assertThat(lockableFromAnotherProcess(home.lockFile())).isTrue();
    Optional<AutoCloseable> again = home.tryLock();
    assertThat(again).as("free again once released").isPresent();
    again.get().close();
  }
}
