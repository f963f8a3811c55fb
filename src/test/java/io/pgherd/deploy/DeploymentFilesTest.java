package io.pgherd.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pgherd.api.ClusterConfig;
import io.pgherd.api.SpecValidator;
import io.pgherd.api.ValidationResult;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The deployment files: the root docker-compose.yml and the Rancher 1.6 catalog entry in rancher/
 * (config.yml, and a numbered folder with docker-compose.yml and rancher-compose.yml). Parsed
 * with Jackson YAML; when `docker-compose` is on the PATH each compose file must also pass
 * `docker-compose -f FILE config -q` (that one check is skipped, with a line saying so, when it
 * is not).
 */
class DeploymentFilesTest {

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final Path ROOT_COMPOSE = Path.of("docker-compose.yml");
  static final Path RANCHER = Path.of("rancher");
  /** ${var} or $var, not $$ (compose's escape for a literal $). */
  static final Pattern VARIABLE = Pattern.compile("(?<!\\$)\\$(?:\\{([A-Za-z_][A-Za-z0-9_]*)[^}]*}|([A-Za-z_][A-Za-z0-9_]*))");
  static final Pattern SECRET_NAME = Pattern.compile("(?i).*(password|secret|access_key|token|credential(?!s_file)).*");

  static JsonNode yaml(Path file) throws IOException {
    return YAML.readTree(file.toFile());
  }

  static Path rancherVersionDir() throws IOException {
    try (Stream<Path> dirs = Files.list(RANCHER)) {
      List<Path> numbered = dirs.filter(Files::isDirectory).filter(d -> d.getFileName().toString().matches("\\d+"))
          .sorted().toList();
      assertThat(numbered).as("rancher/<n>/ folders").isNotEmpty();
      return numbered.get(numbered.size() - 1);
    }
  }

  static Set<String> variablesUsed(String text) {
    Set<String> used = new TreeSet<>();
    for (String line : text.split("\n")) {
      String code = line.strip().startsWith("#") ? "" : line;
      Matcher m = VARIABLE.matcher(code);
      while (m.find()) {
        used.add(m.group(1) != null ? m.group(1) : m.group(2));
      }
    }
    return used;
  }

  static Map<String, JsonNode> questions() throws IOException {
    JsonNode catalog = yaml(rancherVersionDir().resolve("rancher-compose.yml")).path("catalog");
    Map<String, JsonNode> byName = new LinkedHashMap<>();
    for (JsonNode q : catalog.path("questions")) {
      byName.put(q.path("variable").asText(), q);
    }
    return byName;
  }

  /** Every question's default, as the environment docker-compose interpolates from. */
  static Map<String, String> questionDefaults() throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    questions().forEach((name, q) -> env.put(name, q.path("default").asText("")));
    return env;
  }

  @Test
  void theCatalogEntryHasANameADescriptionAndAVersion() throws IOException {
    JsonNode config = yaml(RANCHER.resolve("config.yml"));
    assertThat(config.path("name").asText()).isNotBlank();
    assertThat(config.path("description").asText()).isNotBlank();
    assertThat(config.path("version").asText()).matches("\\d+\\.\\d+\\.\\d+");
    Path dir = rancherVersionDir();
    assertThat(dir.resolve("docker-compose.yml")).isRegularFile();
    assertThat(dir.resolve("rancher-compose.yml")).isRegularFile();
    JsonNode catalog = yaml(dir.resolve("rancher-compose.yml")).path("catalog");
    assertThat(catalog.path("version").asText()).isEqualTo(config.path("version").asText());
  }

  @Test
  void theQuestionsCoverInstancesPortsReplicationBackupScheduleAndS3() throws IOException {
    Map<String, JsonNode> questions = questions();
    assertThat(questions.keySet()).contains("instances", "read_write_port", "read_only_port", "replication_mode",
        "backup_schedule", "s3_endpoint", "s3_bucket", "s3_region", "s3_credentials");
    for (JsonNode q : questions.values()) {
      String name = q.path("variable").asText();
      assertThat(name).as("variable").matches("[a-z][a-z0-9_]*");
      assertThat(q.path("label").asText()).as(name + ".label").isNotBlank();
      assertThat(q.path("type").asText()).as(name + ".type").isIn("string", "int", "enum", "boolean", "password",
          "multiline", "service", "certificate");
      assertThat(q.has("default")).as(name + " has a default").isTrue();
      if (q.path("type").asText().equals("enum")) {
        List<String> options = new ArrayList<>();
        q.path("options").forEach(o -> options.add(o.asText()));
        assertThat(options).as(name + ".options").contains(q.path("default").asText());
      }
    }
    List<String> modes = new ArrayList<>();
    questions.get("replication_mode").path("options").forEach(o -> modes.add(o.asText()));
    assertThat(modes).containsExactlyInAnyOrder("async", "sync");
  }

  @Test
  void everyQuestionIsUsedInTheComposeFileAndEveryVariableUsedIsAQuestion() throws IOException {
    String compose = Files.readString(rancherVersionDir().resolve("docker-compose.yml"), StandardCharsets.UTF_8);
    Set<String> used = variablesUsed(compose);
    Set<String> asked = new TreeSet<>(questions().keySet());
    assertThat(used).as("variables used in the compose file").isEqualTo(asked);
  }

  @Test
  void theVariablePatternSeesBracedAndBareVariablesButNotEscapes() {
    assertThat(variablesUsed("a: ${x}\nb: $y-z\nc: $${not}\nd: ${w:-1}\n# ${comment}\n"))
        .containsExactly("w", "x", "y");
  }

  @Test
  void theRancherDefaultsRenderAValidSpecWithS3Backups() throws Exception {
    // the operator image's entrypoint renders the spec from the environment the compose file sets
    Map<String, String> env = new LinkedHashMap<>();
    JsonNode operator = yaml(rancherVersionDir().resolve("docker-compose.yml")).path("services").path("operator");
    Map<String, String> defaults = questionDefaults();
    Iterator<Map.Entry<String, JsonNode>> it = operator.path("environment").fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String value = e.getValue().asText();
      Matcher m = VARIABLE.matcher(value);
      StringBuilder sb = new StringBuilder();
      while (m.find()) {
        m.appendReplacement(sb, Matcher.quoteReplacement(defaults.get(m.group(1) != null ? m.group(1) : m.group(2))));
      }
      m.appendTail(sb);
      env.put(e.getKey(), sb.toString());
    }
    ProcessBuilder pb = new ProcessBuilder("bash", "operator/operator/entrypoint.sh", "--print-spec");
    pb.environment().putAll(env);
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    String spec = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(spec).isZero();
    ValidationResult r = SpecValidator.parse(spec);
    assertThat(r.errors()).as(spec + "\n" + r.report()).isEmpty();
    assertThat(r.warnings()).as(spec + "\n" + r.report()).isEmpty();
    ClusterConfig cfg = ClusterConfig.from(r.cluster());
    assertThat(cfg.name()).isEqualTo(defaults.get("cluster_name"));
    assertThat(cfg.instances()).isEqualTo(Integer.parseInt(defaults.get("instances")));
    assertThat(cfg.readWritePort()).isEqualTo(Integer.parseInt(defaults.get("read_write_port")));
    assertThat(cfg.readOnlyPort()).isEqualTo(Integer.parseInt(defaults.get("read_only_port")));
    assertThat(spec).contains("bucket: \"" + defaults.get("s3_bucket") + "\"")
        .contains("schedule: \"" + defaults.get("backup_schedule") + "\"")
        .contains("credentials: { file: \"/run/pgherd-s3/credentials\" }");
  }

  @Test
  void theRootComposeFileRunsTheOperatorAndTheStoreWithNoSecretInIt() throws IOException {
    JsonNode compose = yaml(ROOT_COMPOSE);
    assertThat(compose.path("version").asText()).isNotBlank();
    JsonNode services = compose.path("services");
    assertThat(services.has("operator")).isTrue();
    assertThat(services.has("s3proxy")).isTrue();
    services.fields().forEachRemaining(e -> {
      assertThat(e.getValue().path("restart").asText()).as(e.getKey() + ".restart").isEqualTo("unless-stopped");
      e.getValue().path("environment").fieldNames().forEachRemaining(name ->
          assertThat(name).as(e.getKey() + ".environment").doesNotMatch(SECRET_NAME));
    });
    JsonNode operator = services.path("operator");
    // on compose's network: members are reached by name over the cluster networks (ComposeIT)
    assertThat(operator.has("network_mode")).as("operator.network_mode").isFalse();
    List<String> volumes = new ArrayList<>();
    operator.path("volumes").forEach(v -> volumes.add(v.asText()));
    assertThat(volumes).contains("/var/run/docker.sock:/var/run/docker.sock", "home:/var/lib/pgherd");
    assertThat(compose.path("volumes").has("home")).as("the home is a named volume").isTrue();
    // the spec it applies is one of manifests/ (validated by ManifestsTest) and uses the bundled store
    String spec = operator.path("environment").path("PGHERD_SPEC").asText();
    String mounted = volumes.stream().filter(v -> v.contains(":" + spec)).findFirst().orElseThrow();
    Path manifest = Path.of(mounted.substring(0, mounted.indexOf(':')));
    assertThat(manifest.normalize().startsWith("manifests")).as(mounted).isTrue();
    ClusterConfig cfg = ClusterConfig.from(SpecValidator.parse(Files.readString(manifest)).cluster());
    assertThat(cfg.instances()).isEqualTo(2);
    String text = Files.readString(manifest);
    assertThat(text).contains("bucket: pgherd").contains("endpoint: \"http://s3proxy:9000\"")
        .contains("credentials: { file: /run/pgherd-s3/credentials }");
  }

  @Test
  void everyComposeFileIsValidCompose() throws Exception {
    Map<Path, Map<String, String>> files = new LinkedHashMap<>();
    files.put(ROOT_COMPOSE, Map.of());
    files.put(rancherVersionDir().resolve("docker-compose.yml"), questionDefaults());
    for (Map.Entry<Path, Map<String, String>> f : files.entrySet()) {
      JsonNode compose = yaml(f.getKey());
      assertThat(compose.path("version").asText()).as(f.getKey() + " version").matches("2(\\.\\d)?|3(\\.\\d)?");
      JsonNode services = compose.path("services");
      assertThat(services.size()).as(f.getKey() + " services").isPositive();
      services.fields().forEachRemaining(e -> assertThat(e.getValue().has("image") || e.getValue().has("build"))
          .as(f.getKey() + ": service " + e.getKey() + " has image or build").isTrue());
    }
    String composeBin = onPath("docker-compose");
    if (composeBin == null) {
      System.out.println("DeploymentFilesTest: docker-compose is not on the PATH: `docker-compose config -q` skipped");
      return;
    }
    for (Map.Entry<Path, Map<String, String>> f : files.entrySet()) {
      ProcessBuilder pb = new ProcessBuilder(composeBin, "-f", f.getKey().getFileName().toString(), "config", "-q")
          .directory(f.getKey().toAbsolutePath().getParent().toFile()).redirectErrorStream(true);
      pb.environment().putAll(f.getValue());
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as("docker-compose -f " + f.getKey() + " config -q:\n" + out).isZero();
      assertThat(out).as(f.getKey() + ": docker-compose warnings").doesNotContainIgnoringCase("warning");
    }
  }

  static String onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(dir, command);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    return null;
  }
}
