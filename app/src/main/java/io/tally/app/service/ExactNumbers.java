package io.tally.app.service;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;

/**
 * Reads JSON trees whose numbers with a fraction or an exponent keep the text the client sent: Jackson's
 * own tree reads them as doubles, so {@code 1e400} became {@code Infinity}, {@code 1e2} {@code 100.0} and
 * {@code 1.10} {@code 1.1}, while event parameters are documented as kept as text. Integers are read as
 * Jackson reads them (their text and value agree). Nesting and duplicate keys stay the parser's to refuse.
 */
final class ExactNumbers extends StdDeserializer<JsonNode> {
    private ExactNumbers() {
        super(JsonNode.class);
    }

    /** The module that makes a mapper's {@code readTree} keep number text. */
    static SimpleModule module() {
        return new SimpleModule("tally-exact-numbers").addDeserializer(JsonNode.class, new ExactNumbers());
    }

    @Override
    public JsonNode deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        return read(p, ctxt, p.currentToken());
    }

    @Override
    public JsonNode getNullValue(DeserializationContext ctxt) {
        return NullNode.getInstance();
    }

    private JsonNode read(JsonParser p, DeserializationContext ctxt, JsonToken token) throws IOException {
        JsonNodeFactory nodes = ctxt.getNodeFactory();
        return switch (token) {
            case START_OBJECT, FIELD_NAME -> object(p, ctxt, nodes);
            case START_ARRAY -> array(p, ctxt, nodes);
            case VALUE_STRING -> nodes.textNode(p.getText());
            case VALUE_NUMBER_INT -> switch (p.getNumberType()) {
                case BIG_INTEGER -> nodes.numberNode(p.getBigIntegerValue());
                case INT -> nodes.numberNode(p.getIntValue());
                default -> nodes.numberNode(p.getLongValue());
            };
            case VALUE_NUMBER_FLOAT -> new ExactDecimalNode(p.getText(), p);
            case VALUE_TRUE -> nodes.booleanNode(true);
            case VALUE_FALSE -> nodes.booleanNode(false);
            case VALUE_NULL -> nodes.nullNode();
            case VALUE_EMBEDDED_OBJECT -> nodes.pojoNode(p.getEmbeddedObject());
            default -> (JsonNode) ctxt.handleUnexpectedToken(JsonNode.class, p);
        };
    }

    /** An object from its START_OBJECT (or its first FIELD_NAME) to its END_OBJECT. */
    private ObjectNode object(JsonParser p, DeserializationContext ctxt, JsonNodeFactory nodes) throws IOException {
        ObjectNode object = nodes.objectNode();
        String name = p.currentToken() == JsonToken.FIELD_NAME ? p.currentName() : p.nextFieldName();
        for (; name != null; name = p.nextFieldName()) {
            object.set(name, read(p, ctxt, p.nextToken()));
        }
        return object;
    }

    private ArrayNode array(JsonParser p, DeserializationContext ctxt, JsonNodeFactory nodes) throws IOException {
        ArrayNode array = nodes.arrayNode();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            array.add(read(p, ctxt, t));
        }
        return array;
    }

    /** A decimal number whose text is the text it was sent as (written back to JSON, it is its decimal value). */
    static final class ExactDecimalNode extends DecimalNode {
        private static final long serialVersionUID = 1L;
        private final String text;

        private ExactDecimalNode(String text, JsonParser p) throws IOException {
            super(decimal(text, p));
            this.text = text;
        }

        /** Its value; an exponent no BigDecimal holds (1e99999999999) is bad input, not a server fault. */
        private static java.math.BigDecimal decimal(String text, JsonParser p) throws IOException {
            try {
                return p.getDecimalValue();
            } catch (NumberFormatException | ArithmeticException e) {
                throw new com.fasterxml.jackson.core.JsonParseException(p, "number " + (text.length() > 40
                        ? text.substring(0, 40) + "..." : text) + " is out of range");
            }
        }

        @Override
        public String asText() {
            return text;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ExactDecimalNode other && text.equals(other.text);
        }

        @Override
        public int hashCode() {
            return text.hashCode();
        }
    }
}
