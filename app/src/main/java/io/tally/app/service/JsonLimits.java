package io.tally.app.service;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;

/**
 * Says which limit of the JSON reader a body broke, in the API's words. The reader's own message names its
 * Java class and method ({@code StreamReadConstraints.getMaxNestingDepth()}), which no answer may carry; it
 * has no type per limit, so the limit is told by the method its message names.
 */
final class JsonLimits {
    private JsonLimits() {
    }

    /** The limit that {@code error}, or one of its causes, reports; null when none is such an error. */
    static String brokenBy(Throwable error, StreamReadConstraints limits) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof StreamConstraintsException e) {
                return describe(String.valueOf(e.getMessage()), limits);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    private static String describe(String message, StreamReadConstraints limits) {
        if (message.contains("getMaxNestingDepth")) {
            return "is nested deeper than " + limits.getMaxNestingDepth() + " levels";
        }
        if (message.contains("getMaxNumberLength")) {
            return "has a number longer than " + limits.getMaxNumberLength() + " digits";
        }
        if (message.contains("getMaxNameLength")) {
            return "has a key longer than " + limits.getMaxNameLength() + " characters";
        }
        if (message.contains("getMaxStringLength")) {
            return "has a string longer than " + limits.getMaxStringLength() + " characters";
        }
        if (message.contains("getMaxDocumentLength")) {
            return "is longer than " + limits.getMaxDocumentLength() + " characters";
        }
        if (message.contains("getMaxTokenCount")) {
            return "has more than " + limits.getMaxTokenCount() + " tokens";
        }
        return "is past a size limit (nesting, number, key or string length)";
    }
}
