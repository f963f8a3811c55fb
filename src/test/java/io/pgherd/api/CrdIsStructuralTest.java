package io.pgherd.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The CRD in crds/ would be accepted by a Kubernetes API server as it is
 * (apiextensions.k8s.io/v1): a structural schema, the status subresource, one served storage
 * version v1. That it is the one the build generates is {@link CrdIsCurrentTest}.
 *
 * <p>The schema rules checked are Kubernetes' ("Specifying a structural schema" in the CRD
 * documentation): every node of the schema (the root, each property, additionalProperties and
 * items) has a type, unless it says x-kubernetes-int-or-string or
 * x-kubernetes-preserve-unknown-fields; properties and additionalProperties are never both set;
 * allOf/anyOf/oneOf/not only in the int-or-string form; metadata, if given at all, restricts
 * nothing but name and generateName. On top: only keywords that v1 JSONSchemaProps accepts, and
 * an array always has items.
 */
class CrdIsStructuralTest {

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  static final Set<String> TYPES = Set.of("object", "array", "string", "integer", "number", "boolean");
  static final Set<String> JUNCTORS = Set.of("allOf", "anyOf", "oneOf", "not");
  /** Keywords apiextensions.k8s.io/v1 accepts in a schema node ($ref, definitions, ... are forbidden there). */
  static final Set<String> KEYWORDS = Set.of(
      "description", "type", "format", "title", "default", "maximum", "exclusiveMaximum", "minimum",
      "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems",
      "multipleOf", "enum", "maxProperties", "minProperties", "required", "items", "allOf", "oneOf",
      "anyOf", "not", "properties", "additionalProperties", "externalDocs", "example", "nullable",
      "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
      "x-kubernetes-int-or-string", "x-kubernetes-list-map-keys", "x-kubernetes-list-type",
      "x-kubernetes-map-type", "x-kubernetes-validations");

  static JsonNode crd() throws IOException {
    return YAML.readTree(CrdIsCurrentTest.COMMITTED.toFile());
  }

  @Test
  void itIsAV1CustomResourceDefinitionForPostgresClusters() throws IOException {
    JsonNode crd = crd();
    assertThat(crd.path("apiVersion").asText()).isEqualTo("apiextensions.k8s.io/v1");
    assertThat(crd.path("kind").asText()).isEqualTo("CustomResourceDefinition");
    JsonNode spec = crd.path("spec");
    JsonNode names = spec.path("names");
    assertThat(crd.path("metadata").path("name").asText())
        .isEqualTo(names.path("plural").asText() + "." + spec.path("group").asText())
        .isEqualTo("postgresclusters.pgherd.io");
    assertThat(names.path("kind").asText()).isEqualTo(PostgresCluster.KIND);
    assertThat(names.path("singular").asText()).isEqualTo("postgrescluster");
    assertThat(spec.path("scope").asText()).isIn("Namespaced", "Cluster");
    assertThat(spec.path("group").asText() + "/v1").isEqualTo(PostgresCluster.API_VERSION);
  }

  @Test
  void v1IsTheOnlyVersionServedAndStoredWithTheStatusSubresource() throws IOException {
    JsonNode versions = crd().path("spec").path("versions");
    assertThat(versions.isArray()).isTrue();
    assertThat(versions).hasSize(1);
    JsonNode v1 = versions.get(0);
    assertThat(v1.path("name").asText()).isEqualTo("v1");
    assertThat(v1.path("served").isBoolean() && v1.path("served").asBoolean()).as("served: true").isTrue();
    assertThat(v1.path("storage").isBoolean() && v1.path("storage").asBoolean()).as("storage: true").isTrue();
    JsonNode status = v1.path("subresources").path("status");
    assertThat(status.isObject()).as("subresources.status: {}").isTrue();
    assertThat(status.size()).isZero();
  }

  @Test
  void theSchemaIsStructural() throws IOException {
    JsonNode schema = crd().path("spec").path("versions").path(0).path("schema").path("openAPIV3Schema");
    assertThat(schema.isObject()).as("openAPIV3Schema").isTrue();
    assertThat(schema.path("type").asText()).as("the root's type").isEqualTo("object");
    assertThat(schema.path("properties").path("spec").path("type").asText()).isEqualTo("object");
    assertThat(schema.path("properties").path("status").path("type").asText()).isEqualTo("object");
    assertThat(problems(schema)).isEmpty();
  }

  /** The checker is not vacuous: each rule it enforces catches a schema that breaks it. */
  @Test
  void theCheckerFindsEachKindOfNonStructuralNode() throws IOException {
    JsonNode bad = YAML.readTree("""
        type: object
        properties:
          metadata:
            type: object
            properties:
              labels: { type: object }
          spec:
            type: object
            properties:
              untyped: { description: "no type" }
              both:
                type: object
                properties: { a: { type: string } }
                additionalProperties: { type: string }
              list: { type: array }
              typedInAnyOf:
                type: string
                anyOf: [ { type: string, description: "not here" } ]
              ref: { type: string, $ref: "#/definitions/x" }
              wrong: { type: text }
              intOrString:
                x-kubernetes-int-or-string: true
                anyOf: [ { type: integer }, { type: string } ]
              free: { x-kubernetes-preserve-unknown-fields: true }
        """);
    assertThat(problems(bad)).containsExactlyInAnyOrder(
        "metadata: only name and generateName may be restricted, got labels",
        "spec.untyped: no type",
        "spec.both: properties and additionalProperties together",
        "spec.list: an array without items",
        "spec.typedInAnyOf: anyOf is allowed only as x-kubernetes-int-or-string's anyOf [{type: integer}, {type: string}]",
        "spec.ref: $ref is not a v1 schema keyword",
        "spec.wrong: unknown type 'text'");
  }

  /** Every rule broken anywhere in the schema, as "path: what". */
  static List<String> problems(JsonNode root) {
    List<String> out = new ArrayList<>();
    JsonNode metadata = root.path("properties").path("metadata");
    if (!metadata.isMissingNode()) {
      metadata.path("properties").fieldNames().forEachRemaining(f -> {
        if (!f.equals("name") && !f.equals("generateName")) {
          out.add("metadata: only name and generateName may be restricted, got " + f);
        }
      });
    }
    check(root, "", out);
    return out;
  }

  private static void check(JsonNode node, String path, List<String> out) {
    String here = path.isEmpty() ? "(root)" : path;
    if (!node.isObject()) {
      out.add(here + ": not a schema object");
      return;
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!KEYWORDS.contains(key)) {
        out.add(here + ": " + key + " is not a v1 schema keyword");
      }
    }
    boolean intOrString = node.path("x-kubernetes-int-or-string").asBoolean(false);
    boolean preserve = node.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    JsonNode type = node.get("type");
    if (type == null) {
      if (!intOrString && !preserve) {
        out.add(here + ": no type");
      }
    } else if (!TYPES.contains(type.asText())) {
      out.add(here + ": unknown type '" + type.asText() + "'");
    }
    for (String junctor : JUNCTORS) {
      if (node.has(junctor) && !(intOrString && junctor.equals("anyOf") && isIntOrStringAnyOf(node.get(junctor)))) {
        out.add(here + ": " + junctor + " is allowed only as x-kubernetes-int-or-string's anyOf"
            + " [{type: integer}, {type: string}]");
      }
    }
    JsonNode properties = node.get("properties");
    JsonNode additional = node.get("additionalProperties");
    if (properties != null && additional != null) {
      out.add(here + ": properties and additionalProperties together");
    }
    if (properties != null) {
      for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> p = it.next();
        check(p.getValue(), path.isEmpty() ? p.getKey() : path + "." + p.getKey(), out);
      }
    }
    if (additional != null) {
      if (additional.isObject()) {
        check(additional, here + ".additionalProperties", out);
      } else {
        out.add(here + ": additionalProperties must be a schema, got " + additional);
      }
    }
    JsonNode items = node.get("items");
    if ("array".equals(node.path("type").asText()) && items == null) {
      out.add(here + ": an array without items");
    }
    if (items != null) {
      check(items, here + "[]", out);
    }
  }

  private static boolean isIntOrStringAnyOf(JsonNode anyOf) {
    ArrayNode expected = YAML.createArrayNode();
    expected.add(((ObjectNode) YAML.createObjectNode()).put("type", "integer"));
    expected.add(((ObjectNode) YAML.createObjectNode()).put("type", "string"));
    return expected.equals(anyOf);
  }
}
