package io.tally.producer;

/**
 * A send whose operation id was already used, within the dedupe window, on the same stream and routing
 * key (counter or event type) by an entry with a different payload: nothing was written for it. Not
 * retriable: the same send fails the same way until the window ends; a different operation needs a new id.
 * It carries no stack trace, as every exception a send's future completes with ({@link TallyException}).
 */
public final class DuplicateIdConflictException extends TallyException {
    private final String id;
    private final String stream;
    private final String routingKey;
    private final String originalEntryId;

    /**
     * A conflicting repeat of an operation id.
     *
     * @param id              the operation id
     * @param stream          {@code ops} or {@code events}
     * @param routingKey      the counter or event type
     * @param originalEntryId the entry id of the first send with this id
     */
    public DuplicateIdConflictException(String id, String stream, String routingKey, String originalEntryId) {
        super("operation id '" + id + "' was already used on " + stream + " for " + routingKeyName(stream) + " '"
                + routingKey + "' by entry " + originalEntryId + " with a different payload; nothing was written "
                + "(a different operation needs a new id)", false, null, false);
        this.id = id;
        this.stream = stream;
        this.routingKey = routingKey;
        this.originalEntryId = originalEntryId;
    }

    private static String routingKeyName(String stream) {
        return "events".equals(stream) ? "event type" : "counter";
    }

    /**
     * The operation id sent twice.
     *
     * @return the id
     */
    public String id() {
        return id;
    }

    /**
     * The stream the id is scoped to.
     *
     * @return {@code ops} or {@code events}
     */
    public String stream() {
        return stream;
    }

    /**
     * The counter (ops) or event type (events) the id is scoped to.
     *
     * @return the routing key
     */
    public String routingKey() {
        return routingKey;
    }

    /**
     * The stream entry id of the send that used the id first.
     *
     * @return the entry id
     */
    public String originalEntryId() {
        return originalEntryId;
    }
}
