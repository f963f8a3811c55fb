package io.pgherd.backup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BaseBackupProgressTest {
  static final long MB = 1 << 20;

  @Test
  void progressSaysBytesOfTheTotalTheRateAndTheTimeLeft() {
    assertThat(BaseBackup.progressText(512 * MB, 1024 * MB, 256.0 * MB))
        .isEqualTo("512 MB of ~1024 MB (50%), 256.0 MB/s, ETA 2 s");
    assertThat(new BaseBackup.Progress("b", "demo-2", 512 * MB, 1024 * MB, 256.0 * MB, null).describe())
        .isEqualTo("512 MB of ~1024 MB (50%), 256.0 MB/s, ETA 2 s");
  }

  @Test
  void anUnknownTotalOrRateIsLeftOut() {
    assertThat(BaseBackup.progressText(512 * MB, null, 256.0 * MB)).isEqualTo("512 MB, 256.0 MB/s");
    assertThat(BaseBackup.progressText(512 * MB, 1024 * MB, null)).isEqualTo("512 MB of ~1024 MB (50%)");
    assertThat(new BaseBackup.Progress("b", "demo-2", 3 * MB, -1, 0, null).describe()).isEqualTo("3 MB, 0.0 MB/s");
    // the estimate can be passed (pg_basebackup's total is an estimate): never over 100 %, no ETA
    assertThat(BaseBackup.progressText(1100 * MB, 1024 * MB, 100.0 * MB)).isEqualTo("1100 MB of ~1024 MB (100%), 100.0 MB/s");
  }
}
