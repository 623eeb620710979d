package cn.budayang.bot.config;

import cn.budayang.bot.Problems;
import cn.budayang.bot.reception.DutyCalendar;
import cn.budayang.wechat.WeChatCredentials;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Builds a {@link BotConfig} from command-line flags, the environment and an optional properties file
 * ({@code --config FILE} or {@code BOT_CONFIG}), in that order of precedence, over {@link BotConfig#defaults()}.
 *
 * <p>Every setting has one name, the environment variable's ({@code BOT_PORT}); the flag is the same name in lower
 * case with dashes and without the {@code BOT_} prefix ({@code --port}, {@code --data-dir}, {@code --wechat-token}),
 * and the file key is the variable's name. Unknown flags are refused. An empty or blank value counts as unset
 * wherever it comes from (a flag, the environment or the file): the next source, or the default, applies.
 */
public final class ConfigLoader {

    /** The settings, by environment name, with a one-line help each. */
    public static final Map<String, String> SETTINGS = settings();

    private ConfigLoader() {
    }

    private static Map<String, String> settings() {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("BOT_PORT", "listen port (default 8080; 0 picks a free port)");
        m.put("BOT_HOST", "listen address (default 0.0.0.0)");
        m.put("BOT_DATA_DIR", "directory for the MapDB store (default ./data)");
        m.put("BOT_KNOWLEDGE_DIR", "directory of groups.json, stations.json, deputies.json, faq.json (default: bundled sample city)");
        m.put("WECHAT_TOKEN", "Official Account server token (default: a demo token, printed at start)");
        m.put("WECHAT_APP_ID", "AppID (default: demo value)");
        m.put("WECHAT_APP_SECRET", "AppSecret (default: demo value)");
        m.put("WECHAT_AES_KEY", "43-character EncodingAESKey; enables compatible and safe modes");
        m.put("WECHAT_API_BASE", "base URL of the WeChat API (default https://api.weixin.qq.com)");
        m.put("WECHAT_NOTICE_TEMPLATE_ID", "subscribe-notice template for recipients outside the 48-hour window");
        m.put("BOT_ADMIN_TOKEN", "bearer token for /api/*; unset refuses /api/*");
        m.put("BOT_ANSWER_DEADLINE", "ISO-8601 duration from assignment to first answer (default PT24H)");
        m.put("BOT_HOLIDAYS", "weekdays the 人工 desk is closed: dates and ranges, 2027-01-01,2027-02-06..2027-02-14");
        m.put("BOT_WORKDAYS", "weekend days the 人工 desk is open (调休), same format");
        m.put("BOT_CONFIG", "optional properties file with any of these keys");
        return java.util.Collections.unmodifiableMap(m);
    }

    private static Set<LocalDate> days(Map<String, String> s, String key, List<String> problems) {
        try {
            return DutyCalendar.parseDays(s.get(key));
        } catch (IllegalArgumentException e) {
            problems.add(key + ": " + e.getMessage());
            return Set.of();
        }
    }

    /** The flag spelling of a setting: {@code BOT_DATA_DIR} → {@code --data-dir}. */
    public static String flagOf(String env) {
        String s = env.startsWith("BOT_") ? env.substring(4) : env;
        return "--" + s.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Loads the configuration.
     *
     * @param args the command's flags (after the command name), {@code --name value} or {@code --name=value}
     * @param env  the environment
     * @throws ConfigException naming the setting when anything is wrong
     */
    public static BotConfig load(List<String> args, Map<String, String> env) {
        return build(merge(parseFlags(args), env));
    }

    /**
     * The knowledge directory alone, found by the rules of {@link #load} (flags over environment over config file,
     * an empty value unset), for a command that needs no other setting: the other keys of the config file are not
     * validated, only known.
     *
     * @param args {@code --knowledge-dir} and {@code --config} flags, {@code --name value} or {@code --name=value}
     * @return the directory, or null for the bundled sample city
     * @throws ConfigException naming BOT_KNOWLEDGE_DIR or BOT_CONFIG when it is not usable
     */
    public static Path knowledgeDir(List<String> args, Map<String, String> env) {
        List<String> problems = new ArrayList<>();
        Path dir = knowledgeDir(merge(parseFlags(args), env), problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(String.join("; ", problems));
        }
        return dir;
    }

    /** The settings from flags, the environment and the config file, by precedence; empty values left out. */
    private static Map<String, String> merge(Map<String, String> flags, Map<String, String> env) {
        Map<String, String> file = new HashMap<>();
        String configFile = flags.containsKey("BOT_CONFIG") ? flags.get("BOT_CONFIG")
                : present(env.get("BOT_CONFIG")) ? env.get("BOT_CONFIG") : null;
        if (configFile != null) {
            file = readFile(Path.of(configFile));
        }
        Map<String, String> merged = new HashMap<>(file);
        for (String key : SETTINGS.keySet()) {
            if (present(env.get(key))) {
                merged.put(key, env.get(key));
            }
        }
        merged.putAll(flags);
        return merged;
    }

    private static Map<String, String> parseFlags(List<String> args) {
        Map<String, String> byFlag = new HashMap<>();
        for (String env : SETTINGS.keySet()) {
            byFlag.put(flagOf(env), env);
        }
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            String env = byFlag.get(name);
            if (env == null) {
                // only the name: the value may be a mistyped secret (--app-secret=...)
                throw new ConfigException("unknown option '" + name + "'; run with --help to list the options");
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new ConfigException("option " + name + " needs a value");
                }
                value = args.get(++i);
            }
            if (present(value)) {
                out.put(env, value);
            }
        }
        return out;
    }

    /** Whether a URL scheme is exactly http or https (schemes ignore case). */
    private static boolean isHttp(String scheme) {
        return "http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme);
    }

    /** Whether a value counts as set: an empty or blank one, from any source, does not. */
    private static boolean present(String value) {
        return value != null && !value.isBlank();
    }

    private static Map<String, String> readFile(Path path) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new ConfigException("BOT_CONFIG: cannot read config file " + path + ": " + Problems.of(e));
        }
        Map<String, String> out = new HashMap<>();
        for (String key : p.stringPropertyNames()) {
            if (!SETTINGS.containsKey(key)) {
                throw new ConfigException("config file " + path + ": unknown key '" + key + "'; known keys: "
                        + String.join(", ", SETTINGS.keySet()));
            }
            String value = p.getProperty(key).trim();
            if (present(value)) {
                out.put(key, value);
            }
        }
        return out;
    }

    private static Path knowledgeDir(Map<String, String> s, List<String> problems) {
        if (!s.containsKey("BOT_KNOWLEDGE_DIR")) {
            return null;
        }
        Path dir = Path.of(s.get("BOT_KNOWLEDGE_DIR"));
        if (!Files.isDirectory(dir)) {
            problems.add("BOT_KNOWLEDGE_DIR " + dir + " is not a directory");
        }
        return dir;
    }

    /** The longest answer deadline accepted: a year. */
    static final Duration MAX_ANSWER_DEADLINE = Duration.ofDays(365);

    private static BotConfig build(Map<String, String> s) {
        BotConfig d = BotConfig.defaults();
        List<String> problems = new ArrayList<>();
        int port = d.port();
        if (s.containsKey("BOT_PORT")) {
            try {
                port = Integer.parseInt(s.get("BOT_PORT").trim());
                if (port < 0 || port > 65535) {
                    problems.add("BOT_PORT must be 0..65535, was " + port);
                }
            } catch (NumberFormatException e) {
                problems.add("BOT_PORT must be a number, was '" + s.get("BOT_PORT") + "'");
            }
        }
        String host = s.getOrDefault("BOT_HOST", d.host());
        Path dataDir = s.containsKey("BOT_DATA_DIR") ? Path.of(s.get("BOT_DATA_DIR")) : d.dataDir();
        Path knowledgeDir = knowledgeDir(s, problems);
        boolean demo = !s.containsKey("WECHAT_TOKEN");
        String token = s.getOrDefault("WECHAT_TOKEN", BotConfig.DEMO_TOKEN);
        if (!token.matches("[A-Za-z0-9]{3,32}") && !demo) {
            problems.add("WECHAT_TOKEN must be 3 to 32 letters or digits, as the Official Account platform requires");
        }
        String appId = s.getOrDefault("WECHAT_APP_ID", BotConfig.DEMO_APP_ID);
        String secret = s.getOrDefault("WECHAT_APP_SECRET", BotConfig.DEMO_APP_SECRET);
        // one without the other would pair a real credential with a demo one (an empty value counts as unset)
        if (s.containsKey("WECHAT_APP_SECRET") != s.containsKey("WECHAT_APP_ID")) {
            problems.add(s.containsKey("WECHAT_APP_ID") ? "WECHAT_APP_SECRET must be set with WECHAT_APP_ID"
                    : "WECHAT_APP_ID must be set with WECHAT_APP_SECRET");
        }
        String aesKey = s.get("WECHAT_AES_KEY");
        if (aesKey != null && !aesKey.matches("[A-Za-z0-9]{43}")) {
            problems.add("WECHAT_AES_KEY must be the 43-character EncodingAESKey (letters and digits)");
        }
        URI api = d.apiBase();
        if (s.containsKey("WECHAT_API_BASE")) {
            try {
                api = URI.create(s.get("WECHAT_API_BASE").replaceAll("/+$", ""));
                if (!isHttp(api.getScheme()) || api.getHost() == null) {
                    problems.add("WECHAT_API_BASE must be an http(s) URL, was '" + s.get("WECHAT_API_BASE") + "'");
                }
            } catch (IllegalArgumentException e) {
                problems.add("WECHAT_API_BASE is not a URL: " + e.getMessage());
            }
        }
        Duration deadline = d.answerDeadline();
        if (s.containsKey("BOT_ANSWER_DEADLINE")) {
            try {
                deadline = Duration.parse(s.get("BOT_ANSWER_DEADLINE"));
                if (deadline.isNegative() || deadline.isZero() || deadline.compareTo(MAX_ANSWER_DEADLINE) > 0) {
                    problems.add("BOT_ANSWER_DEADLINE must be positive and at most " + MAX_ANSWER_DEADLINE.toDays()
                            + " days, was " + s.get("BOT_ANSWER_DEADLINE"));
                }
            } catch (DateTimeParseException e) {
                problems.add("BOT_ANSWER_DEADLINE must be an ISO-8601 duration such as PT24H or PT30M, was '"
                        + s.get("BOT_ANSWER_DEADLINE") + "'");
            }
        }
        Set<LocalDate> holidays = days(s, "BOT_HOLIDAYS", problems);
        Set<LocalDate> workdays = days(s, "BOT_WORKDAYS", problems);
        String admin = s.get("BOT_ADMIN_TOKEN");
        if (admin != null && admin.length() < 8) {
            problems.add("BOT_ADMIN_TOKEN must be at least 8 characters");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException("invalid configuration:\n  - " + String.join("\n  - ", problems));
        }
        return new BotConfig(host, port, dataDir, knowledgeDir, new WeChatCredentials(token, appId, secret, aesKey),
                api, s.get("WECHAT_NOTICE_TEMPLATE_ID"), admin, deadline,
                holidays.isEmpty() && workdays.isEmpty() ? d.duty() : new DutyCalendar(holidays, workdays),
                d.maxBodyBytes(), d.replyBudget(),
                d.freshness(), d.idleTimeout(), demo);
    }
}
