package cn.budayang.wechat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Loads wechat-vectors.json: the copy in test resources first, else {@code ${budayang.shared.dir}/spec}. */
final class Vectors {

    static final String RESOURCE = "/budayang/wechat-vectors.json";

    private Vectors() {
    }

    static JsonNode load() {
        try (InputStream in = Vectors.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                return new ObjectMapper().readTree(in);
            }
            Path shared = sharedFile();
            if (shared == null || !Files.isRegularFile(shared)) {
                throw new IllegalStateException("wechat-vectors.json found neither on the classpath nor in the shared dir");
            }
            return new ObjectMapper().readTree(shared.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The shared spec copy, or null when the system property is not set. */
    static Path sharedFile() {
        String dir = System.getProperty("budayang.shared.dir");
        return dir == null ? null : Path.of(dir, "spec", "wechat-vectors.json");
    }

    static JsonNode crypto(String name) {
        for (JsonNode v : load().path("cryptoVectors")) {
            if (v.path("name").asText().equals(name)) {
                return v;
            }
        }
        throw new IllegalArgumentException("no crypto vector " + name);
    }

    static List<JsonNode> list(String field) {
        List<JsonNode> out = new ArrayList<>();
        load().path(field).forEach(out::add);
        return out;
    }
}
