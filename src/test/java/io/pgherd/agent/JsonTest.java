package io.pgherd.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void writesWhatJacksonReadsBack() throws Exception {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("s", "quote \" backslash \\ newline \n tab \t bell \u0007 é");
    m.put("n", 12L);
    m.put("b", true);
    m.put("null", null);
    m.put("list", Arrays.asList(1, "two", null, List.of()));
    m.put("nested", Map.of("k", "v"));
    String json = Json.write(m);
    JsonNode back = new ObjectMapper().readTree(json);
    assertThat(back.get("s").asText()).isEqualTo(m.get("s"));
    assertThat(back.get("n").asLong()).isEqualTo(12);
    assertThat(back.get("b").asBoolean()).isTrue();
    assertThat(back.get("null").isNull()).isTrue();
    assertThat(back.get("list")).hasSize(4);
    assertThat(back.get("list").get(2).isNull()).isTrue();
    assertThat(back.get("nested").get("k").asText()).isEqualTo("v");
    assertThat(json).startsWith("{\"s\":");
  }
}
