package cn.budayang.bot.proof;

import cn.budayang.bot.BotApp;
import cn.budayang.bot.config.BotConfig;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;

/**
 * The real server in its own JVM, for crash tests: {@code ChildServer <dataDir> <apiBase> [knowledgeDir]} builds the same
 * {@link BotApp} as production (system clock) with the proof credentials, binds a free loopback port, prints
 * {@code LISTENING <port>} and serves until killed. A store that cannot be opened prints {@code FAILED <reason>} and
 * exits with 3.
 */
public final class ChildServer {

    private ChildServer() {
    }

    public static void main(String[] args) throws InterruptedException {
        Path dataDir = Path.of(args[0]);
        URI apiBase = URI.create(args[1]);
        BotApp app;
        try {
            BotConfig config = ProofBot.config(dataDir, null, null).withWeChat(ProofBot.credentials(), apiBase);
            if (args.length > 2) {
                config = config.withKnowledgeDir(Path.of(args[2]));
            }
            app = new BotApp(config, Clock.systemUTC());
            System.out.println("LISTENING " + app.start());
        } catch (RuntimeException e) {
            System.out.println("FAILED " + e);
            e.printStackTrace();
            System.exit(3);
            return;
        }
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
