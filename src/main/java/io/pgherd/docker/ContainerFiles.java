package io.pgherd.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import io.pgherd.runtime.ContainerSpec.FileContent;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Files into and out of a container (running or not), as the engine's archive API wants them:
 * tar streams, packed here with their modes and owners and unpacked on the way out.
 */
final class ContainerFiles {
  private final DockerClient client;
  private final EngineCalls calls;

  ContainerFiles(DockerClient client, EngineCalls calls) {
    this.client = client;
    this.calls = calls;
  }

  /** Writes files into a container (running or not), creating parent directories. */
  void copyFiles(String container, Map<String, FileContent> files) {
    byte[] tar = tar(files);
    call(() -> {
      client.copyArchiveToContainerCmd(container).withRemotePath("/")
          .withTarInputStream(new ByteArrayInputStream(tar)).exec();
      return null;
    });
  }

  /** Extracts a tar stream into a directory of a container (running or not); the directory must exist. */
  void copyTar(String container, String remotePath, InputStream tar) {
    call(() -> {
      client.copyArchiveToContainerCmd(container).withRemotePath(remotePath).withTarInputStream(tar).exec();
      return null;
    });
  }

  /** Reads a file from a container; empty when the container or the file does not exist. */
  Optional<byte[]> readFile(String container, String path) {
    try (InputStream in = call(() -> client.copyArchiveFromContainerCmd(container, path).exec());
        TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
      TarArchiveEntry entry = tar.getNextEntry();
      if (entry == null) {
        return Optional.empty();
      }
      return Optional.of(tar.readAllBytes());
    } catch (NotFoundException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path + " from " + container, e);
    }
  }

  static byte[] tar(Map<String, FileContent> files) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      java.util.Set<String> dirs = new java.util.TreeSet<>();
      for (String path : files.keySet()) {
        String p = path.replaceFirst("^/", "");
        int i = p.indexOf('/');
        while (i > 0) {
          dirs.add(p.substring(0, i + 1));
          i = p.indexOf('/', i + 1);
        }
      }
      for (String dir : dirs) {
        TarArchiveEntry e = new TarArchiveEntry(dir);
        // a directory holding only private files (e.g. secrets) is private too
        boolean onlyPrivate = files.entrySet().stream()
            .filter(f -> f.getKey().replaceFirst("^/", "").startsWith(dir))
            .allMatch(f -> (f.getValue().mode() & 077) == 0);
        e.setMode(onlyPrivate ? 040700 : 040755);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
      }
      for (Map.Entry<String, FileContent> f : files.entrySet()) {
        TarArchiveEntry e = new TarArchiveEntry(f.getKey().replaceFirst("^/", ""));
        e.setSize(f.getValue().content().length);
        e.setMode(0100000 | f.getValue().mode());
        e.setUserId(f.getValue().owner());
        e.setGroupId(f.getValue().owner());
        tar.putArchiveEntry(e);
        tar.write(f.getValue().content());
        tar.closeArchiveEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private <T> T call(EngineCalls.Call<T> call) {
    return calls.call(call);
  }
}
