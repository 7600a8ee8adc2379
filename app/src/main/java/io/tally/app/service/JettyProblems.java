package io.tally.app.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Answers errors that Jetty raises before a request reaches Javalin (a request line or header it
 * cannot parse, a URI it refuses, an error of the servlet layer) as problem+json too, whatever the
 * request's {@code Accept}, instead of Jetty's HTML error page, so that clients see one error format.
 * Jetty refuses some paths that {@link StrictPaths} would refuse too (bytes that are not UTF-8, raw
 * non-ASCII characters); such a 400 names the rule the path breaks, as {@link StrictPaths} does. Each answer
 * closes its connection. Serves as the error handler of both the server and the servlet context.
 */
final class JettyProblems extends ErrorHandler {
    /** The method Jetty gives a request it could not parse (its path is a placeholder too). */
    private static final String UNPARSED = "BAD";

    private final ObjectMapper json;

    JettyProblems(ObjectMapper json) {
        this.json = json;
    }

    /** Every method gets a problem body (Jetty writes its own pages for GET, POST and HEAD only). */
    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        String requestId = RequestIds.accepted(request.getHeaders().get(RequestIds.HEADER));
        boolean unparsed = UNPARSED.equals(request.getMethod()) || request.getHttpURI() == null;
        byte[] body = body(code, message, unparsed ? null : request.getHttpURI().getPath(), requestId);
        // Every such answer closes its connection. After an unparsed request Jetty closes it anyway, without saying
        // so (a client that kept it would see its next request fail); and these requests never reach the service's
        // handlers, so without this a client sending OPTIONS * or CONNECT each second would keep a connection at
        // api-max-connections without a token (TokenlessAtConnectionLimit never sees it).
        response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        response.getHeaders().put(RequestIds.HEADER, requestId);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, Problems.CONTENT_TYPE);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    private byte[] body(int code, String message, String path, String requestId) {
        Map<String, Object> body = code == 400 && path != null
                ? pathProblem(path, requestId).orElseGet(() -> jettyProblem(code, message, path, requestId))
                : jettyProblem(code, message, path, requestId);
        try {
            return json.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            return ("{\"status\":" + code + "}").getBytes(StandardCharsets.UTF_8);
        }
    }

    /** The body {@link StrictPaths} gives a path that breaks one of its rules. */
    private static Optional<Map<String, Object>> pathProblem(String path, String requestId) {
        try {
            StrictPaths.check(path);
            return Optional.empty();
        } catch (ApiProblem p) {
            return Optional.of(p.body(path, requestId));
        }
    }

    private static Map<String, Object> jettyProblem(int code, String message, String instance, String requestId) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        String title = HttpStatus.getMessage(code);
        body.put("title", title == null ? "HTTP " + code : title);
        body.put("status", code);
        body.put("detail", "the request was rejected before it reached the API: "
                + (message == null ? "HTTP " + code : message)
                + (code == 400 ? "; percent-encode names as UTF-8 (a '/' cannot be part of a name in a path)" : ""));
        if (instance != null) {
            body.put("instance", instance);
        }
        body.put("requestId", requestId);
        return body;
    }
}
