package cn.budayang.bot.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    @Test
    void defaultsAreTheEmbeddedOnes() {
        BotConfig c = ConfigLoader.load(List.of(), Map.of());
        assertEquals(8080, c.port());
        assertEquals("0.0.0.0", c.host());
        assertEquals(Path.of("data"), c.dataDir());
        assertNull(c.knowledgeDir());
        assertNull(c.adminToken());
        assertEquals(Duration.ofHours(24), c.answerDeadline());
        assertTrue(c.demoToken());
        assertEquals("https://api.weixin.qq.com", c.apiBase().toString());
    }

    @Test
    void flagsWinOverEnvironmentWhichWinsOverTheFile() throws IOException {
        Path file = dir.resolve("bot.properties");
        Files.writeString(file, "BOT_PORT=7000\nBOT_ADMIN_TOKEN=from-the-file\nBOT_ANSWER_DEADLINE=PT2H\n");
        BotConfig c = ConfigLoader.load(List.of("--port", "9000", "--config=" + file),
                Map.of("BOT_PORT", "8000", "BOT_ADMIN_TOKEN", "from-the-environment"));
        assertEquals(9000, c.port());
        assertEquals("from-the-environment", c.adminToken());
        assertEquals(Duration.ofHours(2), c.answerDeadline());
    }

    @Test
    void everyProblemIsReportedWithTheSettingsName() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(List.of(),
                Map.of("BOT_PORT", "eighty", "BOT_ANSWER_DEADLINE", "24h", "WECHAT_AES_KEY", "short",
                        "BOT_ADMIN_TOKEN", "abc", "WECHAT_API_BASE", "ftp://x", "BOT_KNOWLEDGE_DIR",
                        dir.resolve("missing").toString())));
        for (String name : List.of("BOT_PORT", "BOT_ANSWER_DEADLINE", "WECHAT_AES_KEY", "BOT_ADMIN_TOKEN",
                "WECHAT_API_BASE", "BOT_KNOWLEDGE_DIR")) {
            assertTrue(e.getMessage().contains(name), () -> name + " missing from: " + e.getMessage());
        }
    }

    @Test
    void theApiBaseIsAnHttpOrHttpsUrl() {
        for (String bad : List.of("httpx://x", "httpsx://api.example.com", "http2://x", "ftp://x")) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> ConfigLoader.load(List.of("--wechat-api-base", bad), Map.of()), bad);
            assertTrue(e.getMessage().contains("WECHAT_API_BASE must be an http(s) URL"), e.getMessage());
        }
        assertEquals("http://127.0.0.1:9000", ConfigLoader.load(List.of("--wechat-api-base=http://127.0.0.1:9000/"),
                Map.of()).apiBase().toString());
        assertEquals("https://api.weixin.qq.com", ConfigLoader.load(List.of(),
                Map.of("WECHAT_API_BASE", "https://api.weixin.qq.com")).apiBase().toString());
    }

    @Test
    void holidaysAndWorkingWeekendDaysShapeTheHumanDesksHours() {
        BotConfig c = ConfigLoader.load(List.of("--holidays", "2026-10-01..2026-10-08, 2027-01-01"),
                Map.of("BOT_WORKDAYS", "2026-10-10"));
        assertTrue(c.duty().closed().contains(java.time.LocalDate.parse("2026-10-05")));
        assertEquals(9, c.duty().closed().size());
        assertEquals(java.util.Set.of(java.time.LocalDate.parse("2026-10-10")), c.duty().open());

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(List.of(),
                Map.of("BOT_HOLIDAYS", "2026-10-08..2026-10-01", "BOT_WORKDAYS", "10/10")));
        assertTrue(e.getMessage().contains("BOT_HOLIDAYS: '2026-10-08..2026-10-01' must run forwards"),
                e.getMessage());
        assertTrue(e.getMessage().contains("BOT_WORKDAYS: '10/10' is not a date"), e.getMessage());
    }

    @Test
    void emptyCredentialsCountAsUnsetAndAnEndlessDeadlineIsAProblemNotACrash() {
        // empty credential flags are unset like empty variables (they were refused as empty values): the demo pair
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(
                List.of("--wechat-app-id=", "--wechat-app-secret="), Map.of("BOT_ANSWER_DEADLINE",
                        "PT2562047788015215H")));
        assertTrue(e.getMessage().contains("BOT_ANSWER_DEADLINE"), e.getMessage());
        assertFalse(e.getMessage().contains("WECHAT_APP"), e.getMessage());
        // an empty environment variable is unset: a real secret would then go out with the demo AppID
        ConfigException unpaired = assertThrows(ConfigException.class, () -> ConfigLoader.load(List.of(),
                Map.of("WECHAT_APP_ID", " ", "WECHAT_APP_SECRET", "real-secret-value")));
        assertTrue(unpaired.getMessage().contains("WECHAT_APP_ID must be set with WECHAT_APP_SECRET"),
                unpaired.getMessage());
        // and so is an empty flag
        ConfigException unpairedFlag = assertThrows(ConfigException.class, () -> ConfigLoader.load(
                List.of("--wechat-app-id", "", "--wechat-app-secret=real-secret-value"), Map.of()));
        assertTrue(unpairedFlag.getMessage().contains("WECHAT_APP_ID must be set with WECHAT_APP_SECRET"),
                unpairedFlag.getMessage());
        assertFalse(unpairedFlag.getMessage().contains("real-secret-value"), unpairedFlag.getMessage());
    }

    @Test
    void anEmptyValueIsUnsetWhereverItComesFrom() throws IOException {
        Path file = dir.resolve("empty.properties");
        Files.writeString(file, "BOT_KNOWLEDGE_DIR=\nBOT_ADMIN_TOKEN=\nWECHAT_NOTICE_TEMPLATE_ID=  \nBOT_DATA_DIR=\n"
                + "BOT_HOST=\nWECHAT_TOKEN=\nBOT_PORT=\n");
        BotConfig fromFile = ConfigLoader.load(List.of("--config", file.toString()), Map.of());
        assertNull(fromFile.knowledgeDir(), "an empty BOT_KNOWLEDGE_DIR loaded " + fromFile.knowledgeDir());
        assertNull(fromFile.adminToken());
        assertNull(fromFile.noticeTemplateId(), "an empty template id must not turn notices on");
        assertEquals(Path.of("data"), fromFile.dataDir());
        assertEquals("0.0.0.0", fromFile.host());
        assertEquals(8080, fromFile.port());
        assertTrue(fromFile.demoToken());

        BotConfig fromFlags = ConfigLoader.load(List.of("--admin-token", "", "--wechat-notice-template-id=",
                "--knowledge-dir=", "--data-dir", " ", "--config="), Map.of());
        assertNull(fromFlags.adminToken());
        assertNull(fromFlags.noticeTemplateId());
        assertNull(fromFlags.knowledgeDir());
        assertEquals(Path.of("data"), fromFlags.dataDir());

        // an empty flag or variable leaves the next source in force, as an unset one does
        Files.writeString(file, "BOT_ADMIN_TOKEN=from-the-file\nWECHAT_NOTICE_TEMPLATE_ID=tmpl-file\n");
        BotConfig layered = ConfigLoader.load(List.of("--admin-token=", "--config", file.toString()),
                Map.of("BOT_ADMIN_TOKEN", "", "WECHAT_NOTICE_TEMPLATE_ID", " "));
        assertEquals("from-the-file", layered.adminToken());
        assertEquals("tmpl-file", layered.noticeTemplateId());
    }

    @Test
    void unknownFlagsAndFileKeysAreRefused() throws IOException {
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.load(List.of("--prot", "1"), Map.of()))
                .getMessage().contains("--prot"));
        Path file = dir.resolve("bad.properties");
        Files.writeString(file, "BOT_PROT=1\n");
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.load(List.of("--config", file.toString()),
                Map.of())).getMessage().contains("BOT_PROT"));
    }

    @Test
    void secretsNeverShowInToString() {
        BotConfig c = ConfigLoader.load(List.of(), Map.of("WECHAT_TOKEN", "RealToken123", "WECHAT_APP_ID",
                "wx1234567890abcdef", "WECHAT_APP_SECRET",
                "real-secret-value", "WECHAT_AES_KEY", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                "BOT_ADMIN_TOKEN", "admin-secret-token"));
        String s = c.toString();
        for (String secret : List.of("RealToken123", "real-secret-value", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                "admin-secret-token")) {
            assertFalse(s.contains(secret), secret);
        }
        assertFalse(c.demoToken());
    }

    @Test
    void flagNamesFollowTheEnvironmentNames() {
        assertEquals("--data-dir", ConfigLoader.flagOf("BOT_DATA_DIR"));
        assertEquals("--wechat-aes-key", ConfigLoader.flagOf("WECHAT_AES_KEY"));
        BotConfig c = ConfigLoader.load(List.of("--data-dir", dir.toString(), "--wechat-token", "Abc123"), Map.of());
        assertEquals(dir, c.dataDir());
        assertEquals("Abc123", c.wechat().token());
    }
}
