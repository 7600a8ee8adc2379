package io.tally.producer.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Answers errors that Jetty raises before a request reaches Javalin (an ambiguous or badly encoded
 * URI such as {@code %2F} or invalid UTF-8 in a path, a malformed request line) as problem+json too,
 * instead of Jetty's HTML error page, so that clients see one error format.
 */
final class JettyProblems extends ErrorHandler {
    private final ObjectMapper json;

    JettyProblems(ObjectMapper json) {
        this.json = json;
    }

    @Override
    protected void generateAcceptableResponse(Request baseRequest, HttpServletRequest request,
                                              HttpServletResponse response, int code, String message) throws IOException {
        String requestId = RequestIds.accepted(request.getHeader(RequestIds.HEADER));
        byte[] body = body(code, message, request.getRequestURI(), requestId);
        response.setHeader(RequestIds.HEADER, requestId);
        response.setContentType(Problems.CONTENT_TYPE);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
        baseRequest.setHandled(true);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        String requestId = RequestIds.generate();
        fields.put(HttpHeader.CONTENT_TYPE, Problems.CONTENT_TYPE);
        fields.put(RequestIds.HEADER, requestId);
        return ByteBuffer.wrap(body(status, reason, null, requestId));
    }

    private byte[] body(int code, String message, String instance, String requestId) {
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
        try {
            return json.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            return ("{\"status\":" + code + "}").getBytes(StandardCharsets.UTF_8);
        }
    }
}
