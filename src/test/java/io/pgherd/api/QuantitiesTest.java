package io.pgherd.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class QuantitiesTest {

  @ParameterizedTest
  @CsvSource({
      "1024, 1024",
      "0, 0",
      "0B, 0",
      "512B, 512",
      "512kB, 524288",
      "16MB, 16777216",
      "1GB, 1073741824",
      "2TB, 2199023255552"})
  void sizesAreDigitsWithAnOptional1024BasedUnit(String text, long bytes) {
    assertThat(Quantities.parseSize(text)).isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"16 MB", "16mb", "16Mb", "16KB", "16kb", "1.5GB", "-1MB", "MB", " 16MB", "16MB ", "16MiB",
      "16M", "1PB", "0x10"})
  void anythingElseIsNotASize(String text) {
    assertThatThrownBy(() -> Quantities.parseSize(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not a size: '" + text + "'")
        .hasMessageContaining("B, kB, MB, GB or TB");
  }

  @Test
  void anEmptyOrMissingSizeIsRefused() {
    assertThatThrownBy(() -> Quantities.parseSize("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Quantities.parseSize(null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aSizeThatOverflowsALongIsRefused() {
    assertThatThrownBy(() -> Quantities.parseSize("9999999999TB"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too large");
    assertThatThrownBy(() -> Quantities.parseSize("99999999999999999999"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too large");
  }

  @ParameterizedTest
  @CsvSource({"500ms, 500", "2s, 2000", "5m, 300000", "1h, 3600000", "0s, 0"})
  void durationsAreDigitsFollowedByMsSMOrH(String text, long millis) {
    assertThat(Quantities.parseDuration(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @ValueSource(strings = {"2", "2 s", "2S", "1.5s", "2sec", "1d", "-1s", "PT2S", "s"})
  void anythingElseIsNotADuration(String text) {
    assertThatThrownBy(() -> Quantities.parseDuration(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not a duration: '" + text + "'");
  }

  @Test
  void anEmptyOrHugeDurationIsRefused() {
    assertThatThrownBy(() -> Quantities.parseDuration(null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Quantities.parseDuration("99999999999999999h"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too large");
  }

  @ParameterizedTest
  @CsvSource({
      "0, 0B",
      "512, 512B",
      "1023, 1023B",
      "1024, 1kB",
      "1536, 1.5kB",
      "16777216, 16MB",
      "16777217, 16.0MB",
      "1048575, 1.0MB",
      "1073741824, 1GB",
      "1099511627776, 1TB",
      "1125899906842624, 1024TB",
      "-2048, -2kB"})
  void bytesAreFormattedInTheLargestUnitThatFits(long bytes, String text) {
    assertThat(Quantities.formatBytes(bytes)).isEqualTo(text);
  }

  @Test
  void exactMultiplesFormatToSomethingThatParsesBack() {
    for (long v : new long[] {0, 1, 1024, 3L << 20, 7L << 30, 5L << 40}) {
      assertThat(Quantities.parseSize(Quantities.formatBytes(v))).isEqualTo(v);
    }
  }

  @Test
  void extremeValuesFormatWithoutFailing() {
    assertThat(Quantities.formatBytes(Long.MAX_VALUE)).endsWith("TB");
    assertThat(Quantities.formatBytes(Long.MIN_VALUE)).startsWith("-").endsWith("TB");
  }
}
