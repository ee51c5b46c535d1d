package io.depot.appliance.api;

/** What a handler answers: a status, a JSON body (or null for none) and an optional Location. */
public record Response(int status, Object body, String location) {
    public static Response ok(Object body) { return new Response(200, body, null); }

    public static Response created(String location, Object body) { return new Response(201, body, location); }

    /** Accepted: the work goes on in the background (a full clone's copy); the body names the job. */
    public static Response accepted(String location, Object body) { return new Response(202, body, location); }

    public static Response noContent() { return new Response(204, null, null); }
}
