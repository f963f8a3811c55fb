package io.pgherd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgherd.api.ClusterConfig;
import io.pgherd.docker.DockerGateway;
import io.pgherd.docker.EngineCalls;
import io.pgherd.store.Home;
import io.pgherd.swarm.RemoteCli;
import io.pgherd.swarm.SwarmManager;
import io.pgherd.tls.ClusterTls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * {@code pgherd psql} on a Docker Swarm, from any manager: the operator's home is on whichever
 * manager runs it, so the connection's facts travel through the Swarm like any command
 * ({@link RemoteCli}) — but the superuser's password must not sit readable in a Swarm config. The
 * caller makes a key pair for this one call and sends the public half; the operator answers with
 * the ports, the cluster's CA (public) when TLS is enforced, and the password sealed to that key
 * (RSA-OAEP, SHA-256): only this process can open it. psql then connects to the load balancer on
 * this manager's own node (its ports are published on every node), the password in a private
 * passfile as on one engine. With TLS enforced it checks the server's certificate against the
 * cluster's CA ({@code verify-ca}: the certificates do not name every node's address).
 */
final class RemotePsql {
  /** The request's first argument; the operator answers it itself (it is no command line). */
  static final String REQUEST = "psql-connection";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SEAL = "RSA/ECB/OAEPWithSHA-256AndMGF1Padding";
  private static final OAEPParameterSpec OAEP = new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
      PSource.PSpecified.DEFAULT);

  private RemotePsql() {}

  /** The caller: asks the operator, then runs psql against this node's load balancer; psql's exit code. */
  static int run(String name, boolean readOnly, List<String> psqlArgs) throws IOException, InterruptedException {
    HomeOption.checkName(name);
    KeyPair pair;
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      pair = g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no RSA in this Java: " + e.getMessage(), e);
    }
    String publicKey = Base64.getEncoder().encodeToString(pair.getPublic().getEncoded());
    JsonNode answer;
    String nodeAddress;
    try (DockerGateway docker = DockerGateway.connect()) {
      EngineCalls calls = new EngineCalls(docker.host());
      SwarmManager.check(docker.client(), calls, docker.host());
      nodeAddress = calls.call(() -> docker.client().infoCmd().exec()).getSwarm().getNodeAddr();
      RemoteCli.Answer a = new RemoteCli(docker.client(), calls)
          .call(new RemoteCli.Request(List.of(REQUEST, name, publicKey), java.util.Map.of()), RemoteCommand.TIMEOUT)
          .orElseThrow(() -> new Main.UserError("no answer from the operator: is its service running"
              + " (`docker service ps " + io.pgherd.swarm.OperatorService.NAME + "`)?", 1));
      if (a.exitCode() != 0) {
        throw new Main.UserError(a.output().strip().replaceFirst("^error: ", ""), a.exitCode());
      }
      answer = JSON.readTree(a.output());
    } catch (io.pgherd.runtime.EngineUnavailableException e) {
      throw new Main.UserError(e.getMessage(), 1);
    }
    String password = open(answer.path("password").asText(), pair.getPrivate());
    int port = answer.path(readOnly ? "readOnlyPort" : "readWritePort").asInt();
    Path ca = null;
    try {
      if (answer.hasNonNull("ca")) {
        ca = Files.createTempFile("pgherd-ca", ".pem");
        Files.writeString(ca, answer.path("ca").asText(), StandardCharsets.UTF_8);
      }
      return PsqlCommand.runPsql(nodeAddress, port, password, ca, "verify-ca", psqlArgs);
    } finally {
      if (ca != null) {
        Files.deleteIfExists(ca);
      }
    }
  }

  /** The operator's side: the answer for {@code args} = [REQUEST, cluster, public key], read from {@code home}. */
  static RemoteCli.Answer answer(Home home, List<String> args) {
    if (args.size() != 3) {
      return new RemoteCli.Answer(2, "error: a psql connection request names a cluster and a key\n");
    }
    String name = args.get(1);
    try {
      HomeOption.checkName(name);
      String spec = home.readSpec(name).orElse(null);
      if (spec == null) {
        return new RemoteCli.Answer(2, "error: no cluster named '" + name + "' (known: " + home.clusters() + ")\n");
      }
      io.pgherd.api.ValidationResult v = io.pgherd.api.SpecValidator.parse(spec);
      if (!v.ok()) {
        return new RemoteCli.Answer(1, "error: the stored spec of " + name + " is invalid: " + v.errors() + "\n");
      }
      if (!home.secrets().hasSecrets(name)) {
        return new RemoteCli.Answer(1, "error: cluster " + name + " has no credentials yet: it has not been created\n");
      }
      ClusterConfig cfg = ClusterConfig.from(v.cluster());
      ObjectNode out = JSON.createObjectNode();
      out.put("readWritePort", cfg.readWritePort());
      out.put("readOnlyPort", cfg.readOnlyPort());
      out.put("password", seal(home.secrets().secret(name, Home.SUPERUSER_PASSWORD), args.get(2)));
      java.util.Optional<Path> ca = new ClusterTls(home, name).rootCertificateIfEnforced();
      if (ca.isPresent()) {
        out.put("ca", Files.readString(ca.get(), StandardCharsets.UTF_8));
      }
      return new RemoteCli.Answer(0, JSON.writeValueAsString(out));
    } catch (Main.UserError e) {
      return new RemoteCli.Answer(e.exitCode(), "error: " + e.getMessage() + "\n");
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      return new RemoteCli.Answer(1, "error: cannot answer the psql connection request: " + e.getMessage() + "\n");
    }
  }

  /** {@code secret} sealed to the X.509-encoded RSA key {@code publicKey} (base64). */
  static String seal(String secret, String publicKey) throws GeneralSecurityException {
    PublicKey key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(publicKey)));
    Cipher c = Cipher.getInstance(SEAL);
    c.init(Cipher.ENCRYPT_MODE, key, OAEP);
    return Base64.getEncoder().encodeToString(c.doFinal(secret.getBytes(StandardCharsets.UTF_8)));
  }

  /** What {@link #seal} sealed, opened with the private half. */
  static String open(String sealed, PrivateKey key) {
    try {
      Cipher c = Cipher.getInstance(SEAL);
      c.init(Cipher.DECRYPT_MODE, key, OAEP);
      return new String(c.doFinal(Base64.getDecoder().decode(sealed)), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new Main.UserError("the operator's answer cannot be opened with this call's key: " + e.getMessage(), 1);
    }
  }
}
