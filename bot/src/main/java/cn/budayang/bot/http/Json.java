package cn.budayang.bot.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;

/**
 * The one JSON configuration of the server's output. Only jackson-databind is on the class path (no JSR-310
 * module), so {@code java.time} values are written here as their ISO-8601 {@code toString()}:
 * {@code Instant} as {@code 2026-11-26T08:00:00Z}, {@code Duration} as {@code PT1H30M}.
 * Empty beans serialize as {@code {}} instead of failing.
 */
public final class Json {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new SimpleModule("budayang-java-time")
                    .addSerializer(Instant.class, ToStringSerializer.instance)
                    .addSerializer(Duration.class, ToStringSerializer.instance)
                    .addSerializer(LocalDate.class, ToStringSerializer.instance)
                    .addSerializer(LocalDateTime.class, ToStringSerializer.instance)
                    .addSerializer(OffsetDateTime.class, ToStringSerializer.instance))
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private Json() {
    }

    /**
     * The shared, fully configured mapper. Thread-safe; callers must not reconfigure it (use
     * {@link ObjectMapper#copy()} for a variant).
     */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** UTF-8 JSON bytes of {@code value}; a value Jackson cannot write is a bug, reported unchecked. */
    static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("cannot write " + value.getClass().getName() + " as JSON", e);
        }
    }
}
