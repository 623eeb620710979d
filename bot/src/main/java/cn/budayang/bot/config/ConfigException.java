package cn.budayang.bot.config;

/** A setting that is missing, malformed or out of range; the message names the setting and what to do. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
