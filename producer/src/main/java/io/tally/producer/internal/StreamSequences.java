package io.tally.producer.internal;

import java.util.List;

/**
 * Where each stream stands in the producer's sessions: the session it numbers its sends in and the next
 * number. A stream has at most one pipeline in flight (its lane's), so its state is touched by one thread
 * at a time: the sender when it numbers a batch, then the thread that handles the batch's reply.
 */
final class StreamSequences {
    private final ProducerSessions sessions;
    private final int partitions;
    private final State[] states;

    private static final class State {
        /** Null: the stream waits for a session later than {@link #retired}. */
        volatile ProducerSession session;
        /** The stream never numbers in a session of this generation or an earlier one again. */
        volatile long retired;
        volatile long next = 1;
    }

    StreamSequences(ProducerSessions sessions, int partitions) {
        this.sessions = sessions;
        this.partitions = partitions;
        this.states = new State[2 * partitions];
        for (int i = 0; i < states.length; i++) {
            states[i] = new State();
        }
    }

    /** Why the last try to begin a new session failed (READONLY, OOM, ...), or null. */
    Throwable sessionFailure() {
        return sessions.lastFailure();
    }

    /**
     * Numbers a group's sends: sends that kept their session and numbers from an attempt whose outcome
     * is unknown come first and keep them; the others get the stream's next numbers. False, with nothing
     * numbered, when the stream waits for a new session (one is being begun).
     */
    boolean number(StreamGroup group) {
        State s = state(group);
        List<PendingSend> sends = group.sends;
        int kept = 0;
        while (kept < sends.size() && sends.get(kept).numbered()) {
            kept++;
        }
        if (kept == 0 && s.session == null) {
            ProducerSession next = sessions.after(s.retired);
            if (next == null) {
                return false;
            }
            s.session = next;
            s.next = 1;
        }
        ProducerSession session = s.session;
        long first = kept > 0 ? sends.get(0).seq : s.next;
        checkKeptRun(group, kept, session, first, s.next);
        long seq = first + kept;
        for (int i = kept; i < sends.size(); i++) {
            PendingSend send = sends.get(i);
            if (send.numbered()) {
                throw new IllegalStateException("a retried send of " + group.streamName() + " follows a new one");
            }
            send.session = session;
            send.seq = seq++;
        }
        s.next = seq;
        group.numbered(session, first);
        return true;
    }

    /**
     * The sends that kept their numbers must be one unbroken run of the stream's session, ending where the
     * stream's numbering stands; anything else is a bug that would write an entry under a wrong number.
     */
    private static void checkKeptRun(StreamGroup group, int kept, ProducerSession session, long first, long next) {
        for (int i = 0; i < kept; i++) {
            PendingSend send = group.sends.get(i);
            if (send.session != session || send.seq != first + i) {
                throw new IllegalStateException("a retried send of " + group.streamName() + " holds sequence "
                        + send.session + "/" + send.seq + ", expected " + session + "/" + (first + i));
            }
        }
        if (kept > 0 && first + kept != next) {
            throw new IllegalStateException("the retried sends of " + group.streamName() + " end at sequence "
                    + (first + kept - 1) + " but the stream numbered up to " + (next - 1));
        }
    }

    /**
     * The group's sends from index {@code from} on were not written by any attempt and leave without their
     * numbers (failed, or sent again as new): the stream numbers from there again.
     */
    void rollBack(StreamGroup group, int from) {
        State s = state(group);
        if (group.session() == null || s.session != group.session()) {
            return;
        }
        s.next = group.first() + from;
        for (int i = from; i < group.sends.size(); i++) {
            group.sends.get(i).unnumber();
        }
    }

    /**
     * The stream leaves the group's session: the append script no longer knows it there, or what it
     * holds can no longer be known. Its next sends take a later session and number from 1.
     */
    void retire(StreamGroup group) {
        retire(group.topic, group.partition, group.session());
        for (PendingSend send : group.sends) {
            send.unnumber();
        }
    }

    /** As {@link #retire(StreamGroup)} for the stream of a topic and partition and a session it numbered in. */
    void retire(int topic, int partition, ProducerSession session) {
        if (session == null) {
            return;
        }
        State s = states[topic * partitions + partition];
        s.retired = Math.max(s.retired, session.generation());
        if (s.session == session) {
            s.session = null;
            s.next = 1;
        }
    }

    private State state(StreamGroup group) {
        return states[group.topic * partitions + group.partition];
    }
}
