package cn.budayang.knowledge;

/** A knowledge directory that cannot be used; the message names the file, the id and the field at fault. */
public class KnowledgeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KnowledgeException(String message) {
        super(message);
    }

    public KnowledgeException(String message, Throwable cause) {
        super(message, cause);
    }

    static KnowledgeException at(String file, String id, String field, String problem) {
        return new KnowledgeException(file + ": id=" + (id == null ? "?" : id) + " field=" + field + ": " + problem);
    }
}
