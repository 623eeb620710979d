package cn.budayang.bot.proof;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A deliberately dumb HTTP/1.1 client on one blocking loopback socket: writes exactly the bytes it is given (so a
 * test can send truncated, oversized or malformed requests), reads one response by {@code Content-Length}, keeps the
 * connection alive until the server closes it, and reconnects on the next call. Not thread-safe: one per sender.
 */
final class RawHttp implements Closeable {

    /** One response; {@code closed} when the server ended the connection after it. */
    record Response(int status, Map<String, String> headers, byte[] body, boolean closed) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final int port;
    private final int readTimeoutMillis;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    RawHttp(int port) {
        this(port, 15_000);
    }

    RawHttp(int port, int readTimeoutMillis) {
        this.port = port;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    static byte[] post(String pathAndQuery, byte[] body) {
        return request("POST", pathAndQuery, body, "Content-Type: text/xml\r\n");
    }

    static byte[] get(String pathAndQuery, String extraHeaders) {
        return request("GET", pathAndQuery, new byte[0], extraHeaders);
    }

    static byte[] request(String method, String pathAndQuery, byte[] body, String extraHeaders) {
        byte[] head = (method + " " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders
                + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    /**
     * Sends the bytes and reads one response. A write on a connection the server had already closed (idle, or after
     * a refusal) is retried once on a new connection.
     *
     * @throws IOException when the server closes the connection without answering, or does not answer in time
     */
    Response exchange(byte[] request) throws IOException {
        boolean fresh = socket == null;
        try {
            connectIfNeeded();
            out.write(request);
            out.flush();
            return read();
        } catch (IOException e) {
            close();
            if (fresh) {
                throw e;
            }
            connectIfNeeded();
            out.write(request);
            out.flush();
            return read();
        }
    }

    private void connectIfNeeded() throws IOException {
        if (socket == null) {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(readTimeoutMillis);
            in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            out = socket.getOutputStream();
        }
    }

    private Response read() throws IOException {
        String statusLine = line();
        if (statusLine == null) {
            throw new IOException("connection closed before a response");
        }
        String[] parts = statusLine.split(" ", 3);
        int status = Integer.parseInt(parts[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h = line(); h != null && !h.isEmpty(); h = line()) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        if (body.length < length) {
            throw new IOException("response body cut short");
        }
        boolean closed = "close".equalsIgnoreCase(headers.get("connection"));
        if (closed) {
            close();
        }
        return new Response(status, headers, body, closed);
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        while (true) {
            int c = in.read();
            if (c < 0) {
                return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
            }
            if (c == '\n') {
                String s = b.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        socket = null;
        in = null;
        out = null;
    }
}
