package io.pgherd.cli;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "logs", description = "The cluster's reconcile log: one line per action, with time, reconcile id and reason.")
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
    if (!Files.exists(file) && home.home().readSpec(name).isEmpty()) {
      throw new Main.UserError("no cluster named '" + name + "' in " + home.home().root(), 2);
    }
    long pos = 0;
    do {
      if (Files.exists(file)) {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
          if (raf.length() < pos) {
            pos = 0;
          }
          raf.seek(pos);
          byte[] buf = new byte[(int) (raf.length() - pos)];
          raf.readFully(buf);
          pos = raf.length();
          System.out.print(new String(buf, StandardCharsets.UTF_8));
          System.out.flush();
        }
      }
      if (follow) {
        Thread.sleep(500);
      }
    } while (follow);
    return 0;
  }
}
