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

  @Test
  void thePartialIsStoredAgainWhenTheReceiverIsFurtherEvenIfItsSizeAndMtimeDidNotChange(@TempDir Path dir)
      throws Exception {
    io.pgherd.objectstore.FilesystemStore store = new io.pgherd.objectstore.FilesystemStore(dir.resolve("store"));
    try (WalArchiver a = new WalArchiver("c", dir.resolve("archive"), store, "c/", "pw",
        new io.pgherd.store.ClusterLog(new io.pgherd.store.Home(dir.resolve("home")), "c"))) {
      Path partial = dir.resolve("archive/spool/000000020000000000000005.partial");
      java.nio.file.attribute.FileTime tick = java.nio.file.attribute.FileTime.fromMillis(1_700_000_000_000L);
      byte[] first = new byte[4096];
      first[0] = 1;
      Files.write(partial, first);
      Files.setLastModifiedTime(partial, tick);
      a.noteReceived(0x5000100L);
      a.uploadOnce();
      assertThat(a.uploadedLsn()).isEqualTo(0x5000100L);
      // more WAL flushed into the same file within the same tick of the file system's clock
      byte[] second = first.clone();
      second[100] = 2;
      Files.write(partial, second);
      Files.setLastModifiedTime(partial, tick);
      a.noteReceived(0x5000200L);
      a.uploadOnce();
      assertThat(a.uploadedLsn()).isEqualTo(0x5000200L);
      byte[] stored = new java.util.zip.GZIPInputStream(store.get(WalLayout.partialKey("c/",
          "000000020000000000000005")).orElseThrow()).readAllBytes();
      assertThat(java.util.Arrays.equals(stored, second))
          .as("the store has what the receiver had flushed when uploadedLsn was reached").isTrue();
    }
  }
}
