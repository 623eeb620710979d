package cn.budayang.bot;

/** Command-line entry point: dispatches to {@code serve} and {@code route}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.out.println("usage: java -jar bot.jar [serve|route] [--help]");
    }
}
