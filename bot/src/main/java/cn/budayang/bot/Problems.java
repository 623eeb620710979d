package cn.budayang.bot;

import java.nio.channels.UnresolvedAddressException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Locale;

/**
 * A failure's cause in words, for a one-line message that already names the file or setting: the JDK leaves some
 * messages null ({@link UnresolvedAddressException}) or bare paths ({@link NoSuchFileException}).
 */
public final class Problems {

    private Problems() {
    }

    /** What went wrong, never null nor empty: "no such file or directory", "Address already in use", ... */
    public static String of(Throwable e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileAlreadyExistsException f) {
            return f.getFile() + " already exists";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        if (e instanceof UnresolvedAddressException) {
            return "the host name does not resolve";
        }
        String message = e.getMessage();
        if (message != null && !message.isBlank()) {
            return message;
        }
        if (e.getCause() != null && e.getCause() != e) {
            return of(e.getCause());
        }
        // IllegalBlockingModeException → "illegal blocking mode"
        return e.getClass().getSimpleName().replaceAll("(Exception|Error)$", "")
                .replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT);
    }
}
