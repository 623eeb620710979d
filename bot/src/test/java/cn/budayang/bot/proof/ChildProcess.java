package cn.budayang.bot.proof;

import cn.budayang.bot.store.MapDbStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A {@link ChildServer} JVM: started on a data directory, found by the port it prints, killed with SIGKILL. */
final class ChildProcess {

    private static final Pattern LISTENING = Pattern.compile("^LISTENING (\\d+)$", Pattern.MULTILINE);

    private final Process process;
    private final Path log;
    final int port;

    private ChildProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /**
     * Starts the child and waits until it listens.
     *
     * @throws AssertionError when it exits first (e.g. the store did not reopen) or does not listen in time; the
     *                        message carries the child's output
     */
    /** The child's store checkpoints whenever its journal passes this many bytes. */
    static final long CHECKPOINT_BYTES = 256 << 10;

    static ChildProcess start(Path dataDir, URI apiBase, Path knowledgeDir, Path log, Duration timeout) {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dfile.encoding=UTF-8",
                // a store checkpoint every 256 KiB of journal (every few dozen questions): kills land inside them too
                "-D" + MapDbStore.CHECKPOINT_BYTES_PROPERTY + "=" + CHECKPOINT_BYTES,
                "-cp", classpath, ChildServer.class.getName(), dataDir.toString(), apiBase.toString()));
        if (knowledgeDir != null) {
            cmd.add(knowledgeDir.toString());
        }
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            long end = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < end) {
                String out = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
                Matcher m = LISTENING.matcher(out);
                int port = -1;
                while (m.find()) {
                    port = Integer.parseInt(m.group(1)); // the last start in the appended log
                }
                if (!p.isAlive()) {
                    throw new AssertionError("child server exited with " + p.exitValue() + " before listening:\n"
                            + tail(out));
                }
                if (port > 0 && out.lastIndexOf("LISTENING") > out.lastIndexOf("=== start")) {
                    return new ChildProcess(p, log, port);
                }
                Thread.sleep(50);
            }
            p.destroyForcibly();
            throw new AssertionError("child server did not listen within " + timeout + ":\n"
                    + tail(Files.readString(log, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Marks the log so {@link #start} only accepts a LISTENING line printed after this point. */
    static void mark(Path log, String what) {
        try {
            Files.writeString(log, "=== start " + what + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SIGKILL (on Linux {@link Process#destroyForcibly()} sends it): no shutdown hook, no close, no flush. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            throw new AssertionError("child did not die");
        }
    }

    long pid() {
        return process.pid();
    }

    String output() throws IOException {
        return tail(Files.readString(log, StandardCharsets.UTF_8));
    }

    private static String tail(String s) {
        return s.length() <= 6000 ? s : "…" + s.substring(s.length() - 6000);
    }
}
