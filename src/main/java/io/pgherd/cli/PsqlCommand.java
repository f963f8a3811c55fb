package io.pgherd.cli;

import io.pgherd.api.ClusterConfig;
import io.pgherd.docker.DockerGateway;
import io.pgherd.model.HaproxyConf;
import io.pgherd.model.Names;
import io.pgherd.runtime.MemberAccess;
import io.pgherd.store.Home;
import io.pgherd.tls.ClusterTls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "psql", description = "psql through the load balancer as the superuser; arguments after -- go to psql.")
final class PsqlCommand implements Callable<Integer> {
  @Mixin HomeOption home;

  @Parameters(index = "0", description = "cluster name")
  String name;

  @Option(names = "--read-only", description = "connect through the read-only port")
  boolean readOnly;

  @Parameters(index = "1..*", arity = "0..*", description = "arguments for psql (after --)")
  List<String> args = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (RemoteCommand.onSwarm(System.getenv())) { // the operator's home is on whichever manager runs it
      return RemotePsql.run(name, readOnly, args);
    }
    ClusterConfig cfg = home.config(name);
    Home h = home.home();
    if (!h.secrets().hasSecrets(name)) {
      throw new Main.UserError("cluster " + name + " has no credentials yet: it has not been created (is the operator running?)");
    }
    String host = "0.0.0.0".equals(cfg.bindAddress()) ? "127.0.0.1" : cfg.bindAddress();
    int port = readOnly ? cfg.readOnlyPort() : cfg.readWritePort();
    // in the operator's container without host networking (docker-compose exec operator pgherd psql):
    // the load balancer by name over the cluster network, on its listeners' own ports
    try (DockerGateway docker = DockerGateway.connect()) {
      if (MemberAccess.detectLater(docker, null).mode() == MemberAccess.Mode.NETWORK) {
        host = Names.loadBalancer(name);
        port = readOnly ? HaproxyConf.RO_PORT : HaproxyConf.RW_PORT;
      }
    }
    // spec.tls enforced: over TLS, the member's certificate checked against the cluster's CA
    // and the host name (the certificates carry localhost, 127.0.0.1, the bind address and the
    // load balancer's container name)
    Path ca = new ClusterTls(h, name).rootCertificateIfEnforced().orElse(null);
    return runPsql(host, port, h.secrets().secret(name, Home.SUPERUSER_PASSWORD), ca, "verify-full", args);
  }

  /**
   * psql as the superuser at {@code host:port}, the password in a private passfile (never on a
   * command line or in the environment), over TLS checked against {@code ca} with {@code sslMode}
   * when there is one; psql's exit code.
   */
  static int runPsql(String host, int port, String password, Path ca, String sslMode, List<String> args)
      throws java.io.IOException, InterruptedException {
    Path passfile = Files.createTempFile("pgherd-pgpass", "",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      String pw = password.replace("\\", "\\\\").replace(":", "\\:");
      Files.writeString(passfile, host + ":" + port + ":*:postgres:" + pw + "\n", StandardCharsets.UTF_8);
      List<String> cmd = new ArrayList<>(List.of("psql", "-h", host, "-p", Integer.toString(port), "-U", "postgres"));
      boolean hasDb = args.stream().anyMatch(a -> a.equals("-d") || a.startsWith("--dbname") || a.startsWith("-d"));
      if (!hasDb) {
        cmd.addAll(List.of("-d", "postgres"));
      }
      cmd.addAll(args);
      ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
      pb.environment().put("PGPASSFILE", passfile.toString());
      pb.environment().putIfAbsent("PGCONNECT_TIMEOUT", "5");
      pb.environment().put("PGAPPNAME", "pgherd-psql");
      if (ca != null) {
        pb.environment().put("PGSSLMODE", sslMode);
        pb.environment().put("PGSSLROOTCERT", ca.toString());
      }
      try {
        return pb.start().waitFor();
      } catch (java.io.IOException e) {
        throw new Main.UserError("cannot run psql (is the PostgreSQL client installed?): " + e.getMessage());
      }
    } finally {
      Files.deleteIfExists(passfile);
    }
  }
}
