package io.tally.app.service;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.model.OpKind;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import org.eclipse.jetty.http.BadMessageException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * {@code POST /v1/batch}: a body of newline-delimited JSON, one counter operation
 * ({@code {"op":"incr","counter":"c","by":5}}) or event ({@code {"type":"click","params":{...}}}) per
 * line. The body is read as a stream and each line is sent as soon as it is parsed, with a bounded
 * number of sends in flight, per batch and across all batches ({@link BatchLineRoom}: past it, reading waits);
 * the answer is a summary with one error entry per failed line. Lines of a partition keep their order.
 * Past {@code api-max-invalid-lines} invalid lines the batch stops: a body of garbage costs its parsing only up to
 * there, and its answer stays small. Each line sent takes a token of its bearer token's rate ({@link TokenRate});
 * the batch stops at the first line that finds none, and says which lines it wrote.
 */
final class BatchRoutes implements Routes {
    /** Sends waiting for their result before reading further (bounds memory, keeps the pipeline full). */
    static final int IN_FLIGHT = 10_000;
    /** Error entries returned; later errors are only counted. */
    static final int MAX_ERRORS = 1000;
    /** Most characters of an error entry's detail or field: a line's text echoed in them is cut, so 1000 entries stay small. */
    static final int MAX_ENTRY_CHARS = 500;

    private final Sends sends;
    private final TallyProducer producer;
    private final Problems problems;
    private final JsonBodies bodies;
    private final int maxLineBytes;
    private final long maxBatchBytes;
    private final int maxInvalidLines;
    private final BatchLineRoom room;
    private final TokenRate rate;

    BatchRoutes(Sends sends, Problems problems, JsonBodies bodies, int maxLineBytes, long maxBatchBytes,
                int maxInvalidLines, BatchLineRoom room, TokenRate rate) {
        this.sends = sends;
        this.room = room;
        this.rate = rate;
        this.producer = sends.producer();
        this.problems = problems;
        this.bodies = bodies;
        this.maxLineBytes = maxLineBytes;
        this.maxBatchBytes = maxBatchBytes;
        this.maxInvalidLines = maxInvalidLines;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.post("/v1/batch", this::batch);
    }

    // Whole on purpose: every exit (too large, too many invalid lines, unreadable, done) must drain the same
    // in-flight queue and summary.
    private void batch(Context ctx) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > maxBatchBytes) {
            RefusedBodies.drain(ctx);
            throw tooLarge(declared);
        }
        int token = Auth.token(ctx);
        Summary summary = new Summary(maxInvalidLines);
        Deque<Pending> inFlight = new ArrayDeque<>();
        LineReader lines = null;
        long outOfRate = 0;
        try (InputStream in = ctx.bodyInputStream()) {
            lines = new LineReader(in, maxLineBytes, maxBatchBytes);
            byte[] line;
            while ((line = lines.next()) != null) {
                int number = lines.number;
                // Checked before blankness: an overlong line's bytes are dropped, so it reads as empty.
                if (lines.overlong) {
                    summary.lines++;
                    if (summary.invalidLine(number, ApiProblem.tooLarge("line is longer than " + maxLineBytes
                            + " bytes (api-max-body-bytes)"))) {
                        break;
                    }
                    continue;
                }
                if (line.length == 0 || isBlank(line)) {
                    continue;
                }
                summary.lines++;
                Supplier<CompletableFuture<SendResult>> send;
                try {
                    send = parse(line, number);
                } catch (RuntimeException e) {
                    if (summary.refusedBeforeSending(number, Problems.of(e))) {
                        break;
                    }
                    continue;
                }
                int cost;
                try {
                    cost = room.take(line.length);
                } catch (RuntimeException e) {
                    summary.error(number, Problems.of(e));
                    continue;
                }
                if (rate.take(token) > 0) {
                    room.give(cost);
                    outOfRate = number;
                    break;
                }
                try {
                    CompletableFuture<SendResult> sent = send.get();
                    sent.whenComplete((result, error) -> room.give(cost));
                    inFlight.add(new Pending(number, sent));
                    summary.sent++;
                } catch (RuntimeException e) {
                    room.give(cost);
                    if (summary.refusedBeforeSending(number, Problems.of(e))) {
                        break;
                    }
                }
                drain(inFlight, summary, IN_FLIGHT);
            }
            drain(inFlight, summary, 0);
            if (summary.tooManyInvalid()) {
                throw tooManyInvalid(in, summary, lines.number);
            }
            if (outOfRate > 0) {
                stopAtRate(ctx, in, summary, token, outOfRate);
            } else if (lines.pastLimit) {
                stopAtLimit(ctx, in, summary, lines.number + 1);
            }
        } catch (IOException | BadMessageException e) {
            drain(inFlight, summary, 0);
            throw cutShort(e, summary, lines == null ? 1 : lines.number + 1);
        } finally {
            if (summary.firstWithCause != null) {
                problems.logCause(ctx, RequestIds.of(ctx), summary.firstWithCause);
            }
        }
        ctx.status(200).json(summary.body());
    }

    /**
     * The body passed api-max-batch-bytes while it was read (no Content-Length told it up front). With nothing
     * sent yet, it is refused (413: nothing was written). Once lines were sent a 413 would be taken for "refused,
     * nothing written" and those lines sent twice, so the answer is the summary of what was done, marked
     * incomplete, with the line to send again from.
     */
    private void stopAtLimit(Context ctx, InputStream in, Summary summary, long firstUnread) {
        try {
            RefusedBodies.drain(in);
        } catch (IOException e) {
            // the client went away while sending the rest: the answer stands, the connection closes
        }
        if (summary.sent == 0) {
            throw summary.addTo(ApiProblem.tooLarge("batch body exceeds the limit of " + maxBatchBytes
                    + " bytes (api-max-batch-bytes) at line " + firstUnread + ", before any line was sent; nothing "
                    + "was written: split it into several batches"));
        }
        summary.lines++;
        summary.stoppedAt(firstUnread, new ApiProblem(413, "Content too large", "the batch passed the limit of "
                + maxBatchBytes + " bytes (api-max-batch-bytes) in this line: it and the lines after it were not read "
                + "or written; send them again from line " + firstUnread + ", in another batch", null));
        ctx.header("Connection", "close");
    }

    /**
     * Line {@code line} found its token's bucket empty ({@link TokenRate}): it and the lines after it are not sent,
     * and the rest of the body is dropped. With nothing sent yet, the batch is refused (429: nothing was written).
     * Once lines were sent, the answer is the summary of what was done, marked incomplete, with the line to send
     * again from, as for a batch past api-max-batch-bytes. {@code Retry-After} says when the token's bucket is full
     * again, so that the lines left can go in one burst.
     */
    private void stopAtRate(Context ctx, InputStream in, Summary summary, int token, long line) {
        try {
            RefusedBodies.drain(in);
        } catch (IOException e) {
            // the client went away while sending the rest: the answer stands, the connection closes
        }
        long untilFull = rate.untilFull(token);
        if (summary.sent == 0) {
            throw summary.addTo(rate.refused(token, "this bearer token passed " + rate.limit() + " at line " + line
                    + ", before any line was sent; nothing was written: send the batch again after "
                    + TokenRate.seconds(untilFull) + " s", untilFull)).header("Connection", "close");
        }
        ApiProblem stop = rate.refused(token, "this bearer token passed " + rate.limit() + " at this line: it and "
                + "the lines after it were not written; send them again from line " + line + ", after "
                + TokenRate.seconds(untilFull) + " s", untilFull);
        summary.stoppedAt(line, stop);
        stop.headers.forEach(ctx::header);
        ctx.header("Connection", "close");
    }

    /**
     * The batch's invalid lines passed api-max-invalid-lines at {@code lastRead}: the lines after it are neither
     * parsed nor sent. Like a batch cut short, the answer is a 400 that says what became of the lines read (none
     * written, or how many) and where to go on. The rest of the body is dropped as a refused one is, so that the
     * answer arrives; when it is too long or left open to drop, the connection closes after the answer.
     */
    private ApiProblem tooManyInvalid(InputStream in, Summary summary, long lastRead) {
        boolean readToEnd;
        try {
            readToEnd = RefusedBodies.drain(in);
        } catch (IOException | RuntimeException e) {
            readToEnd = false; // the rest ended early or the client went away: the answer stands
        }
        long firstUnread = lastRead + 1;
        String cut = "line " + lastRead + " is invalid, and the batch's invalid lines (" + summary.invalid
                + ") passed the limit of " + maxInvalidLines + " (api-max-invalid-lines): the batch stopped there. ";
        ApiProblem problem = summary.stopped(new ApiProblem(400, "Bad request", cut + (summary.sent == 0
                ? "No line was written (see errors for the invalid ones), and nothing after line " + lastRead
                + " was read; fix the invalid lines and send the batch again"
                : summary.outcome(firstUnread)), null), firstUnread).with("reason", "too_many_invalid_lines");
        return readToEnd ? problem : problem.header("Connection", "close");
    }

    /**
     * A body that ended early, broke the HTTP framing or was still arriving when api-request-read-timeout-ms passed
     * (the connection can still take this answer then). The lines read before were sent and are settled here
     * (a send of unknown outcome is a 504 entry), so the answer says what became of them and where to go on, never
     * "nothing was written" when something was.
     */
    private static ApiProblem cutShort(Exception e, Summary summary, long firstUnread) {
        if (summary.sent == 0) {
            return summary.addTo(JsonBodies.unreadable(e));
        }
        return summary.stopped(new ApiProblem(400, "Bad request", "the request body could not be read to its end ("
                + JsonBodies.whyUnread(e) + ") after line " + (firstUnread - 1) + ": " + summary.outcome(firstUnread),
                null, e), firstUnread).header("Connection", "close");
    }

    /** The send of a line, parsed and checked (a 400 before anything is sent), to run once the line may be sent. */
    private Supplier<CompletableFuture<SendResult>> parse(byte[] line, int number) {
        ObjectNode obj = bodies.parseObject(line, "line " + number);
        if (obj.has("op")) {
            String opName = JsonBodies.requiredString(obj, "op");
            OpKind kind = OpKind.fromWire(opName);
            if (kind == null) {
                throw ApiProblem.badRequest("op", "unknown operation '" + opName + "' (expected incr, decr, set, reset or unique)");
            }
            String counter = JsonBodies.requiredString(obj, "counter");
            obj.remove("op");
            obj.remove("counter");
            CounterOp op = sends.op(kind, counter, obj, "");
            return () -> producer.send(op);
        }
        if (obj.has("type")) {
            Event event = Sends.event(obj);
            return () -> producer.emit(event);
        }
        throw ApiProblem.badRequest(null, "line needs 'op' (a counter operation) or 'type' (an event)");
    }

    private static void drain(Deque<Pending> inFlight, Summary summary, int keep) {
        while (inFlight.size() > keep || (!inFlight.isEmpty() && inFlight.peekFirst().future.isDone())) {
            Pending p = inFlight.removeFirst();
            try {
                SendResult r = p.future.join();
                summary.accepted++;
                if (r.duplicate()) {
                    summary.duplicates++;
                }
            } catch (CompletionException e) {
                summary.error(p.line, Problems.of(e));
            }
        }
    }

    private ApiProblem tooLarge(long declared) {
        return ApiProblem.tooLarge("batch body of " + declared + " bytes exceeds the limit of " + maxBatchBytes
                + " bytes (api-max-batch-bytes); nothing was written: split it into several batches");
    }

    private static boolean isBlank(byte[] line) {
        for (byte b : line) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    private record Pending(int line, CompletableFuture<SendResult> future) {
    }

    /** Counts and the first errors of one batch. */
    private static final class Summary {
        /** api-max-invalid-lines: the batch stops at the invalid line after the last one it allows. */
        final int maxInvalid;
        int lines;
        /** Lines handed to the producer: once one is, the batch may have written something. */
        long sent;
        long accepted;
        long duplicates;
        long failed;
        /** Lines refused before they were sent, for what they are (malformed, too long, ...). */
        long invalid;
        final List<Map<String, Object>> errors = new ArrayList<>();
        /** The first failure whose cause the log should carry (one line a batch, not one a line). */
        ApiProblem firstWithCause;
        /** The first line not read, when the batch stopped at api-max-batch-bytes; 0 when it was read whole. */
        long resendFromLine;

        Summary(int maxInvalid) {
            this.maxInvalid = maxInvalid;
        }

        /**
         * A line refused before it was sent: an invalid one when the client is at fault (4xx), a failure like
         * any other when the service is (no room in the producer's buffer, Redis down: 5xx).
         *
         * @return whether the batch must stop: its invalid lines passed api-max-invalid-lines
         */
        boolean refusedBeforeSending(long line, ApiProblem problem) {
            if (problem.status >= 400 && problem.status < 500) {
                return invalidLine(line, problem);
            }
            error(line, problem);
            return false;
        }

        /** An invalid line; true when the batch must stop (see {@link #refusedBeforeSending}). */
        boolean invalidLine(long line, ApiProblem problem) {
            error(line, problem);
            invalid++;
            return tooManyInvalid();
        }

        boolean tooManyInvalid() {
            return invalid > maxInvalid;
        }

        void error(long line, ApiProblem problem) {
            failed++;
            if (firstWithCause == null && problem.getCause() != null) {
                firstWithCause = problem;
            }
            if (errors.size() < MAX_ERRORS) {
                errors.add(entry(line, problem));
            }
        }

        /**
         * The batch stopped at {@code line}, which it counted (nothing from it on was written): its entry is listed
         * even past {@link #MAX_ERRORS}.
         */
        void stoppedAt(long line, ApiProblem why) {
            failed++;
            resendFromLine = line;
            errors.add(entry(line, why));
        }

        private static Map<String, Object> entry(long line, ApiProblem problem) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("line", line);
            e.put("status", problem.status);
            if (problem.field != null) {
                e.put("field", cut(problem.field));
            }
            e.put("detail", cut(problem.getMessage()));
            if (problem.extra.get("reason") != null) {
                e.put("reason", problem.extra.get("reason"));
            }
            return e;
        }

        /** {@code text}, cut to {@link #MAX_ENTRY_CHARS} (ending in "...") when longer. */
        private static String cut(String text) {
            return text.length() <= MAX_ENTRY_CHARS ? text : text.substring(0, MAX_ENTRY_CHARS - 3) + "...";
        }

        Map<String, Object> body() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("lines", lines);
            body.put("accepted", accepted);
            body.put("duplicates", duplicates);
            body.put("failed", failed);
            body.put("complete", resendFromLine == 0);
            if (resendFromLine > 0) {
                body.put("resendFromLine", resendFromLine);
            }
            body.put("errors", errors);
            return body;
        }

        /** The counts and errors of what was read, on a problem that ends the batch early. */
        ApiProblem addTo(ApiProblem problem) {
            return problem.with("lines", lines).with("accepted", accepted).with("duplicates", duplicates)
                    .with("failed", failed).with("errors", errors);
        }

        /** {@link #addTo}, for a batch that stopped before {@code firstUnread}. */
        ApiProblem stopped(ApiProblem problem, long firstUnread) {
            return addTo(problem).with("complete", false).with("resendFromLine", firstUnread);
        }

        /** What became of the lines of a batch that sent some and stopped before {@code firstUnread}. */
        String outcome(long firstUnread) {
            return accepted + " of its lines were written (accepted), " + failed + " failed (see errors), and nothing "
                    + "from line " + firstUnread + " on was read or written; send them again from line " + firstUnread;
        }
    }

    /**
     * Splits a stream at '\n', cutting lines longer than the line limit (flagged as overlong). Only the first
     * {@code maxTotal} bytes are split: a line that does not end within them is not returned, and
     * {@link #pastLimit} says the body went on past them, however long its lines.
     */
    private static final class LineReader {
        private final InputStream in;
        private final int maxLine;
        private final long maxTotal;
        private final byte[] buf = new byte[64 * 1024];
        private int pos;
        private int len;
        int number;
        long total;
        boolean overlong;
        boolean pastLimit;

        LineReader(InputStream in, int maxLine, long maxTotal) {
            this.in = in;
            this.maxLine = maxLine;
            this.maxTotal = maxTotal;
        }

        byte[] next() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            overlong = false;
            boolean any = false;
            while (true) {
                if (pos == len) {
                    if (pastLimit) {
                        return null;
                    }
                    len = in.read(buf);
                    pos = 0;
                    if (len <= 0) {
                        len = 0;
                        if (!any) {
                            return null;
                        }
                        number++;
                        return line.toByteArray();
                    }
                    total += len;
                    if (total > maxTotal) {
                        len -= (int) Math.min(len, total - maxTotal);
                        pastLimit = true;
                        continue;
                    }
                }
                any = true;
                int start = pos;
                while (pos < len && buf[pos] != '\n') {
                    pos++;
                }
                int n = pos - start;
                if (line.size() + n > maxLine) {
                    overlong = true;
                } else {
                    line.write(buf, start, n);
                }
                if (pos < len) {
                    pos++;
                    number++;
                    return line.toByteArray();
                }
            }
        }
    }
}
