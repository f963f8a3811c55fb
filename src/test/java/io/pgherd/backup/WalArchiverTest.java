package io.pgherd.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalArchiverTest {
  @TempDir Path spool;

  @Test
  void aShortPartialLeftByAStoppedReceiverIsPaddedAndNothingElseIsTouched() throws Exception {
    Files.write(spool.resolve("000000010000000000000031.partial"), new byte[1859584]);
    Files.write(spool.resolve("000000010000000000000030"), new byte[100]); // not a partial: left alone
    Files.write(spool.resolve("000000010000000000000032.partial"), new byte[0]); // empty: pg_receivewal accepts it
    Files.writeString(spool.resolve("00000002.history"), "1\t0/5000060\tx\n");

    assertThat(WalArchiver.padShortPartials(spool)).containsExactly("000000010000000000000031.partial");

    assertThat(Files.size(spool.resolve("000000010000000000000031.partial"))).isEqualTo(WalArchiver.SEGMENT_SIZE);
    assertThat(Files.size(spool.resolve("000000010000000000000030"))).isEqualTo(100);
    assertThat(Files.size(spool.resolve("000000010000000000000032.partial"))).isZero();
    assertThat(WalArchiver.padShortPartials(spool)).isEmpty();
  }
}
