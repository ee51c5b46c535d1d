package io.depot.appliance.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.depot.appliance.Sizes;
import java.util.Map;

/** One API request as handlers see it: path parameters, query parameters and the parsed JSON body. */
public record Request(String method, Map<String, String> path, Map<String, String> query, JsonNode body) {
    public Request {
        body = body == null ? NullNode.getInstance() : body;
    }

    public String param(String name) { return path.get(name); }

    public boolean flag(String name) {
        String v = query.get(name);
        return v != null && (v.isEmpty() || v.equalsIgnoreCase("true") || v.equals("1"));
    }

    /** A required string field of the body. */
    public String requiredText(String field) {
        String v = optionalText(field);
        if (v == null || v.isEmpty()) {
            throw ApiException.badRequest("field '" + field + "' is required (a non-empty string)");
        }
        return v;
    }

    public String optionalText(String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw ApiException.badRequest("field '" + field + "' must be a string");
        }
        return n.textValue();
    }

    public boolean optionalBoolean(String field, boolean otherwise) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return otherwise;
        }
        if (!n.isBoolean()) {
            throw ApiException.badRequest("field '" + field + "' must be true or false");
        }
        return n.booleanValue();
    }

    /** A size in bytes: a JSON integer, or a string such as "20G" (binary units); null if absent. */
    public Long optionalSize(String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isIntegralNumber() && n.canConvertToLong() && n.longValue() >= 0) {
            return n.longValue();
        }
        if (n.isTextual()) {
            try {
                return Sizes.parse(n.textValue());
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("field '" + field + "': " + e.getMessage());
            }
        }
        throw ApiException.badRequest("field '" + field + "' must be a byte count or a size such as \"20G\"");
    }

    public long requiredSize(String field) {
        Long v = optionalSize(field);
        if (v == null) {
            throw ApiException.badRequest("field '" + field + "' is required (bytes, or a size such as \"20G\")");
        }
        return v;
    }

    /** The body must be a JSON object (an empty body reads as {}). */
    public Request requireObject() {
        if (!body.isNull() && !body.isObject()) {
            throw ApiException.badRequest("the request body must be a JSON object");
        }
        return this;
    }
}
