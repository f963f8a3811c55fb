package io.pgherd.cli;

import io.pgherd.store.ClusterLog;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "logs", description = "The cluster's reconcile log: one line per action, with time, reconcile id and reason"
    + " (its last 512 KiB or so: older lines are dropped).")
final class LogsCommand implements Callable<Integer> {
  @Mixin HomeOption home;

  @Parameters(index = "0", description = "cluster name")
  String name;

  @Option(names = {"-f", "--follow"}, description = "keep printing new lines")
  boolean follow;

  @Override
  public Integer call() throws Exception {
    HomeOption.checkName(name);
    Path file = home.home().logFile(name);
    if (!Files.exists(file) && !Files.exists(ClusterLog.rotated(file)) && home.home().readSpec(name).isEmpty()) {
      throw new Main.UserError("no cluster named '" + name + "' in " + home.home().root(), 2);
    }
    // the older lines first: rotated away once the log grew past its bound (ClusterLog)
    Path older = ClusterLog.rotated(file);
    printFrom(older, 0);
    long pos = 0;
    do {
      try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
        if (raf.length() < pos) { // rotated since the last look: the lines it got before that first
          printFrom(older, pos);
          pos = 0;
        }
        pos += printFrom(raf, pos);
      } catch (java.io.FileNotFoundException e) {
        // nothing logged yet, or rotated just now: the next look finds the new file
      }
      if (follow) {
        Thread.sleep(500);
      }
    } while (follow);
    return 0;
  }

  /** Prints {@code file} from byte {@code pos} on, if it is there (read once, without a separate look first). */
  private static void printFrom(Path file, long pos) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      printFrom(raf, pos);
    } catch (java.io.FileNotFoundException e) {
      // not rotated yet, or rotated twice since: those lines are gone
    }
  }

  /** Prints what {@code raf} holds from byte {@code pos} on; how many bytes. */
  private static long printFrom(RandomAccessFile raf, long pos) throws IOException {
    long length = raf.length();
    if (length <= pos) {
      return 0;
    }
    raf.seek(pos);
    byte[] buf = new byte[(int) (length - pos)];
    raf.readFully(buf);
    System.out.print(new String(buf, StandardCharsets.UTF_8));
    System.out.flush();
    return buf.length;
  }
}
