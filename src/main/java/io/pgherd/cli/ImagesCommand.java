package io.pgherd.cli;

import io.pgherd.docker.ImageBuilder;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "images", description = "Manage pgherd's container images.", subcommands = ImagesCommand.Build.class)
final class ImagesCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "build", description = "Build pgherd/postgres:15 and pgherd/haproxy:2.6 locally (seeding a Debian base when no registry is reachable).")
  static final class Build implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      ImageBuilder builder = ImageBuilder.locate().orElseThrow(() -> new Main.UserError(
          "operator/build-images.sh not found: run from the pgherd checkout or set PGHERD_REPO"));
      builder.build(System.out::println);
      return 0;
    }
  }
}
