// MessageParser: JSON (json-glib) → typed client messages; every shape rule of the protocol.
#include "protocol/parser.hpp"

#include <array>
#include <string>

namespace callbox::protocol
{

namespace
{

ProtocolError bad_message(std::string message, std::string_view re)
{
    return ProtocolError{ErrorCode::BadMessage, std::move(message), std::string(re)};
}

bool is_string(JsonNode *node)
{
    return node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING;
}

bool is_bool(JsonNode *node)
{
    return node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_BOOLEAN;
}

bool is_integer(JsonNode *node)
{
    return node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_INT64;
}

// Reads the required string member `name`, or says why not.
struct Fields {
    JsonObject *object;
    std::string_view type;
    std::optional<ProtocolError> error;

    std::string string(const char *name)
    {
        JsonNode *node = json_object_get_member(object, name);
        if (!is_string(node)) {
            fail(name, "a string");
            return {};
        }
        return json_node_get_string(node);
    }

    std::optional<std::string> optional_string(const char *name)
    {
        JsonNode *node = json_object_get_member(object, name);
        if (!node || JSON_NODE_HOLDS_NULL(node))
            return std::nullopt;
        if (!is_string(node)) {
            fail(name, "a string");
            return std::nullopt;
        }
        return std::string(json_node_get_string(node));
    }

    bool boolean(const char *name)
    {
        JsonNode *node = json_object_get_member(object, name);
        if (!is_bool(node)) {
            fail(name, "true or false");
            return false;
        }
        return json_node_get_boolean(node);
    }

    void fail(const char *name, const char *what)
    {
        if (!error)
            error = bad_message(
                "'" + std::string(type) + "' needs a member '" + name + "' that is " + what, type);
    }
};

// `data` of a signal: exactly one of sdp, ice, bye, each of the right shape.
std::optional<std::string> check_signal_data(JsonNode *data)
{
    if (!data || !JSON_NODE_HOLDS_OBJECT(data))
        return "'data' must be an object";
    JsonObject *obj = json_node_get_object(data);
    JsonNode *sdp = json_object_get_member(obj, "sdp");
    JsonNode *ice = json_object_get_member(obj, "ice");
    JsonNode *bye = json_object_get_member(obj, "bye");
    if ((sdp != nullptr) + (ice != nullptr) + (bye != nullptr) != 1)
        return "'data' must hold exactly one of 'sdp', 'ice' or 'bye'";
    if (sdp) {
        if (!JSON_NODE_HOLDS_OBJECT(sdp))
            return "'sdp' must be an object";
        JsonObject *s = json_node_get_object(sdp);
        JsonNode *type = json_object_get_member(s, "type");
        if (!is_string(type) || (std::string_view(json_node_get_string(type)) != "offer" &&
                                 std::string_view(json_node_get_string(type)) != "answer"))
            return "'sdp.type' must be \"offer\" or \"answer\"";
        if (!is_string(json_object_get_member(s, "sdp")))
            return "'sdp.sdp' must be a string";
    } else if (ice) {
        if (!JSON_NODE_HOLDS_OBJECT(ice))
            return "'ice' must be an object";
        JsonObject *c = json_node_get_object(ice);
        if (!is_string(json_object_get_member(c, "candidate")))
            return "'ice.candidate' must be a string";
        JsonNode *mid = json_object_get_member(c, "sdpMid");
        if (mid && !JSON_NODE_HOLDS_NULL(mid) && !is_string(mid))
            return "'ice.sdpMid' must be a string or null";
        JsonNode *index = json_object_get_member(c, "sdpMLineIndex");
        if (index && !JSON_NODE_HOLDS_NULL(index) && !is_integer(index))
            return "'ice.sdpMLineIndex' must be an integer or null";
    } else if (!is_bool(bye) || !json_node_get_boolean(bye)) {
        return "'bye' must be true";
    }
    return std::nullopt;
}

std::string serialise(JsonNode *node)
{
    GObjectPtr<JsonGenerator> gen = adopt(json_generator_new());
    json_generator_set_root(gen.get(), node);
    GCharPtr text(json_generator_to_data(gen.get(), nullptr));
    return text.get();
}

ParseResult parse_object(JsonObject *obj, std::string_view type)
{
    Fields f{obj, type, std::nullopt};
    auto finish = [&f](ClientMessage m) -> ParseResult {
        if (f.error)
            return *f.error;
        return m;
    };

    if (type == "join") {
        Join m;
        m.room = f.string("room");
        m.nick = f.string("nick");
        m.code = f.optional_string("code");
        return finish(std::move(m));
    }
    if (type == "leave")
        return Leave{};
    if (type == "nick")
        return finish(Nick{f.string("nick")});
    if (type == "chat")
        return finish(Chat{f.string("text")});
    if (type == "whisper") {
        Whisper m;
        m.to = f.string("to");
        m.text = f.string("text");
        return finish(std::move(m));
    }
    if (type == "list-rooms")
        return ListRooms{};
    if (type == "signal") {
        Signal m;
        m.to = f.string("to");
        if (f.error)
            return *f.error;
        JsonNode *data = json_object_get_member(obj, "data");
        if (auto why = check_signal_data(data))
            return bad_message(*why, type);
        m.data_json = serialise(data);
        return m;
    }
    if (type == "media") {
        Media m;
        m.audio = f.boolean("audio");
        m.video = f.boolean("video");
        return finish(m);
    }
    return bad_message("unknown message type '" + std::string(type) + "'", type);
}

} // namespace

std::string_view error_code_name(ErrorCode code)
{
    static constexpr std::array<std::string_view, 15> names = {
        "bad-json",  "bad-message", "too-large",  "rate-limited", "not-in-room",
        "bad-room",  "bad-nick",    "nick-taken", "bad-text",     "unknown-peer",
        "room-full", "forbidden",   "busy",       "media-error",  "storage-error",
    };
    return names.at(static_cast<std::size_t>(code));
}

MessageParser::MessageParser() : parser_(adopt(json_parser_new_immutable())) {}

ParseResult MessageParser::parse(std::string_view text)
{
    if (!g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr))
        return ProtocolError{ErrorCode::BadJson, "the message is not valid UTF-8", ""};

    g_autoptr(GError) error = nullptr;
    if (!json_parser_load_from_data(parser_.get(), text.data(), static_cast<gssize>(text.size()),
                                    &error))
        return ProtocolError{ErrorCode::BadJson,
                             std::string("the message is not valid JSON: ") + error->message, ""};

    JsonNode *root = json_parser_get_root(parser_.get());
    if (!root)
        return ProtocolError{ErrorCode::BadJson, "the message is empty", ""};
    if (!JSON_NODE_HOLDS_OBJECT(root))
        return bad_message("a message must be a JSON object with a string member 'type'", "");
    JsonObject *obj = json_node_get_object(root);
    JsonNode *type = json_object_get_member(obj, "type");
    if (!is_string(type))
        return bad_message("a message must be a JSON object with a string member 'type'", "");
    return parse_object(obj, json_node_get_string(type));
}

} // namespace callbox::protocol
