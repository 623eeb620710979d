package cn.budayang.bot;

import cn.budayang.bot.config.BotConfig;
import cn.budayang.bot.config.ConfigException;
import cn.budayang.bot.config.ConfigLoader;
import cn.budayang.knowledge.Knowledge;
import cn.budayang.knowledge.KnowledgeException;
import cn.budayang.knowledge.RouteDecisions;
import cn.budayang.knowledge.Router;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** Command-line entry point: {@code serve} (the default) and {@code route}. Only dispatches. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        System.exit(run(args, System.getenv(), out, err));
    }

    /** Runs one command; returns the process exit code. {@code serve} returns only when the server stops. */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].indexOf('\uFFFD') >= 0) {
                // the JVM decoded the command line with a locale's charset that is not UTF-8 (LC_ALL=C): a question
                // would be routed as "������" and a path would name another file. The argument is not echoed: it
                // may be a secret.
                err.println("budayang: argument " + (i + 1) + " could not be decoded: Java read the command line in "
                        + System.getProperty("sun.jnu.encoding", "the locale's charset") + ", the charset of the "
                        + "current locale. Run under a UTF-8 locale (e.g. LANG=C.UTF-8 java -jar bot.jar ...), or "
                        + "put questions in a UTF-8 file for route --file.");
                return 2;
            }
        }
        List<String> rest = Arrays.asList(args);
        String command = "serve";
        if (!rest.isEmpty() && !rest.get(0).startsWith("--")) {
            command = rest.get(0);
            rest = rest.subList(1, rest.size());
        }
        try {
            return switch (command) {
                case "serve" -> rest.contains("--help") ? help(out, serveHelp()) : serve(rest, env, out, err);
                case "route" -> route(rest, env, out, err);
                case "help" -> help(out, usage());
                default -> {
                    err.println("unknown command '" + command + "'\n" + usage());
                    yield 2;
                }
            };
        } catch (ConfigException | KnowledgeException e) {
            err.println("budayang: " + e.getMessage());
            return 2;
        }
    }

    private static int help(PrintStream out, String text) {
        out.println(text);
        return 0;
    }

    static String usage() {
        return """
                usage: java -jar bot.jar [serve] [options]     run the WeChat webhook (default)
                       java -jar bot.jar route "<question>"    show where a question would go
                       java -jar bot.jar route --file <path>   one decision per line of the file
                       java -jar bot.jar <command> --help""";
    }

    static String serveHelp() {
        StringBuilder b = new StringBuilder("usage: java -jar bot.jar [serve] [options]\n\n"
                + "Runs the Budayang webhook. Each option is also an environment variable and a key of the\n"
                + "optional config file (--config FILE or BOT_CONFIG); flags win over the environment, the\n"
                + "environment over the file.\n\n");
        for (Map.Entry<String, String> e : ConfigLoader.SETTINGS.entrySet()) {
            b.append(String.format("  %-28s %-26s %s%n", ConfigLoader.flagOf(e.getKey()), e.getKey(), e.getValue()));
        }
        return b.toString().stripTrailing();
    }

    static String routeHelp() {
        return """
                usage: java -jar bot.jar route [options] [--] "<question>"
                       java -jar bot.jar route [options] --file <path>

                Prints one JSON line per question: {"text","group","faq","score","reason","runnerUp",...}.
                group is a professional group id, faq an FAQ id; both are null for chit-chat, thanks, spam
                and gibberish.

                  --file <path>            one JSON line per line of the UTF-8 file, in order
                  --knowledge-dir <dir>    BOT_KNOWLEDGE_DIR: the knowledge files (default: the bundled sample city)
                  --config <file>          BOT_CONFIG: a properties file, as for serve (only BOT_KNOWLEDGE_DIR is used)
                  --                       ends the options: route -- "--a question that starts with dashes"

                Options also take the form --name=value. As for serve, a flag wins over the environment
                variable, the variable over the config file; an empty value counts as unset.""";
    }

    /** The options of {@code route} that are settings, handed to {@link ConfigLoader}. */
    private static final List<String> ROUTE_SETTINGS = List.of(ConfigLoader.flagOf("BOT_KNOWLEDGE_DIR"),
            ConfigLoader.flagOf("BOT_CONFIG"));

    private static int route(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        List<String> settings = new ArrayList<>();
        Path file = null;
        List<String> words = new ArrayList<>();
        boolean options = true;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!options || !a.startsWith("--")) {
                words.add(a);
                continue;
            }
            if (a.equals("--")) {
                options = false;
                continue;
            }
            if (a.equals("--help")) {
                return help(out, routeHelp());
            }
            int eq = a.indexOf('=');
            String name = eq > 0 ? a.substring(0, eq) : a;
            if (!name.equals("--file") && !ROUTE_SETTINGS.contains(name)) {
                // only the name, as for serve: a mistyped option may carry a secret
                err.println("route: unknown option '" + name + "' (a question that starts with -- goes after --: "
                        + "route -- \"" + name + "...\")\n" + routeHelp());
                return 2;
            }
            String value = eq > 0 ? a.substring(eq + 1) : i + 1 < args.size() ? args.get(++i) : null;
            if (value == null || name.equals("--file") && value.isBlank()) {
                err.println("route: " + name + " needs a path\n" + routeHelp());
                return 2;
            }
            if (name.equals("--file")) {
                file = Path.of(value);
            } else {
                settings.add(name);
                settings.add(value);
            }
        }
        if (file != null && !words.isEmpty()) {
            err.println("route: give a question or --file, not both\n" + routeHelp());
            return 2;
        }
        // an empty question is still a question: one JSON line, as for an empty line of a file
        if (file == null && words.isEmpty()) {
            err.println(routeHelp());
            return 2;
        }
        Path dir = ConfigLoader.knowledgeDir(settings, env);
        try (Knowledge k = dir == null ? Knowledge.bundled() : Knowledge.fromDirectory(dir)) {
            Router router = k.current().router();
            if (file == null) {
                out.println(RouteDecisions.toJson(router.route(String.join(" ", words))));
                return 0;
            }
            List<Long> replaced = new ArrayList<>();
            Charset charset;
            try (InputStream in = Files.newInputStream(file)) {
                charset = TextLines.read(in, line -> {
                    out.println(RouteDecisions.toJson(router.route(line.text())));
                    if (line.replaced()) {
                        replaced.add(line.number());
                    }
                });
            } catch (IOException e) {
                err.println("budayang: cannot read " + file + ": " + Problems.of(e) + "; check the --file path");
                return 2;
            }
            if (!replaced.isEmpty()) {
                err.println("budayang: warning: " + file + ": " + lines(replaced) + " had bytes that are not "
                        + charset.name() + "; they were routed with U+FFFD (\uFFFD) in their place. Save the file"
                        + " as UTF-8.");
            }
            return 0;
        }
    }

    /** "line 3" or "lines 3, 7, 9" or "lines 1, 2, …, 10 and 25 more". */
    private static String lines(List<Long> numbers) {
        int shown = Math.min(numbers.size(), 10);
        StringBuilder b = new StringBuilder(numbers.size() == 1 ? "line " : "lines ");
        for (int i = 0; i < shown; i++) {
            b.append(i == 0 ? "" : ", ").append(numbers.get(i));
        }
        if (numbers.size() > shown) {
            b.append(" and ").append(numbers.size() - shown).append(" more");
        }
        return b.toString();
    }


    private static int serve(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        BotConfig config = ConfigLoader.load(args, env);
        long t0 = System.nanoTime();
        BotApp app;
        int port;
        try {
            app = new BotApp(config, Clock.systemUTC());
        } catch (IllegalStateException | UncheckedIOException e) { // the data directory: the message names it
            err.println("budayang: " + e.getMessage());
            return 2;
        }
        try {
            port = app.start();
        } catch (IllegalStateException | UncheckedIOException e) { // the listen address: the message names it
            app.close();
            err.println("budayang: " + e.getMessage());
            return 2;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            stopped.countDown();
        }, "shutdown"));
        out.printf("Budayang is serving on http://%s:%d (started in %d ms; data in %s; knowledge: %s)%n",
                config.host(), port, (System.nanoTime() - t0) / 1_000_000, config.dataDir().toAbsolutePath(),
                config.knowledgeDir() == null ? "bundled sample city" : config.knowledgeDir());
        out.printf("  health:        curl http://127.0.0.1:%d/healthz%n", port);
        out.printf("  WeChat URL:    http(s)://<your domain>/wechat  (WeChat calls only ports 80/443: put nginx in "
                + "front, see README)%n");
        if (config.demoToken()) {
            out.printf("  WeChat token:  %s  (demo token; set WECHAT_TOKEN, WECHAT_APP_ID, WECHAT_APP_SECRET for a "
                    + "real account)%n", config.wechat().token());
        }
        if (config.adminToken() == null) {
            out.println("  admin API:     disabled; set BOT_ADMIN_TOKEN to enable /api/tickets and /api/stats");
        } else {
            out.printf("  admin API:     curl -H 'Authorization: Bearer $BOT_ADMIN_TOKEN' "
                    + "http://127.0.0.1:%d/api/stats%n", port);
        }
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
