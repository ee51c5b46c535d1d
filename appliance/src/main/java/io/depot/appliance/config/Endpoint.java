package io.depot.appliance.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.net.InetSocketAddress;

/**
 * Where a listener listens: "host:port", "[v6]:port", ":port" or a bare port (every address), or
 * "off". Port 0 asks the system for a free port (the bound one is in {@code depot.run.json}).
 *
 * @param host null: every address
 * @param port -1 when off
 */
public record Endpoint(String host, int port) {
    public static final Endpoint OFF = new Endpoint(null, -1);

    @JsonCreator
    public static Endpoint parse(String spec) {
        String s = spec.trim();
        if (s.equalsIgnoreCase("off")) {
            return OFF;
        }
        int colon = s.lastIndexOf(':');
        String host = colon < 0 ? null : s.substring(0, colon).replace("[", "").replace("]", "");
        String port = colon < 0 ? s : s.substring(colon + 1);
        try {
            int p = Integer.parseInt(port);
            if (p < 0 || p > 65535) {
                throw new NumberFormatException();
            }
            return new Endpoint(host == null || host.isEmpty() ? null : host, p);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected host:port, a port, or off; got '" + spec + "'");
        }
    }

    @JsonCreator
    public static Endpoint ofPort(int port) {
        return parse(Integer.toString(port));
    }

    /** YAML 1.1 reads an unquoted {@code off} as false. */
    @JsonCreator
    public static Endpoint ofBoolean(boolean b) {
        if (b) {
            throw new IllegalArgumentException("expected host:port, a port, or off; got 'on'");
        }
        return OFF;
    }

    public boolean off() { return port < 0; }

    /** The socket address to bind; {@code wildcard} stands for "every address" when no host is given. */
    public InetSocketAddress address(String wildcard) {
        return new InetSocketAddress(host == null ? wildcard : host, port);
    }

    @JsonValue
    @Override
    public String toString() {
        return off() ? "off" : host == null ? Integer.toString(port) : (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
