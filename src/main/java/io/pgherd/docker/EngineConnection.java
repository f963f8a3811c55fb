package io.pgherd.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.time.Duration;

/**
 * How {@link DockerGateway} reaches a Docker engine: docker-java's configuration of it (its
 * address, given or else $DOCKER_HOST, else unix:///var/run/docker.sock; its TLS settings) and how
 * long a call waits to connect and for an answer. Builds the docker-java client; does not contact
 * the engine.
 */
record EngineConnection(DefaultDockerClientConfig config, Duration connection, Duration response) {
  /** The engine the environment names ($DOCKER_HOST, else unix:///var/run/docker.sock). */
  static EngineConnection fromEnvironment() {
    return usual(DefaultDockerClientConfig.createDefaultConfigBuilder().build());
  }

  /** The engine at {@code dockerHost} (unix:///path or tcp://host:port). */
  static EngineConnection at(String dockerHost) {
    return usual(DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(dockerHost).build());
  }

  /**
   * The engine the environment names, for a quick question ({@link DockerGateway#connectBriefly}):
   * 2 s to connect, 3 s for an answer.
   */
  static EngineConnection brief() {
    return new EngineConnection(DefaultDockerClientConfig.createDefaultConfigBuilder().build(), Duration.ofSeconds(2),
        Duration.ofSeconds(3));
  }

  /** The same engine, for quick questions: 2 s to connect, 3 s for an answer. */
  EngineConnection briefly() {
    return new EngineConnection(config, Duration.ofSeconds(2), Duration.ofSeconds(3));
  }

  /** 5 s to connect, 10 min for an answer. */
  private static EngineConnection usual(DefaultDockerClientConfig config) {
    return new EngineConnection(config, Duration.ofSeconds(5), Duration.ofMinutes(10));
  }

  /** The engine's address, as errors name it. */
  String host() {
    return config.getDockerHost().toString();
  }

  /** A docker-java client of the engine, over the zero-dependency transport (50 connections at most). */
  DockerClient client() {
    DockerHttpClient http = new ZerodepDockerHttpClient.Builder()
        .dockerHost(config.getDockerHost())
        .sslConfig(config.getSSLConfig())
        .maxConnections(50)
        .connectionTimeout(connection)
        .responseTimeout(response)
        .build();
    return DockerClientImpl.getInstance(config, http);
  }
}
