// MessageParser: strict JSON → typed client messages, with every shape rule of the protocol.
#include "protocol/parser.hpp"

#include "protocol/json-reader.hpp"

#include <array>

namespace callbox::protocol {

namespace {

using Type = JsonValue::Type;

ProtocolError bad_message(std::string message, std::string_view re)
{
    return ProtocolError{ErrorCode::BadMessage, std::move(message), std::string(re)};
}

// Reads members of one message, remembering the first one that is missing or mistyped.
struct Fields {
    const JsonValue &object;
    std::string_view type;
    std::optional<ProtocolError> error;

    std::string string(const char *name)
    {
        const JsonValue *v = object.get(name);
        if (!v || !v->is(Type::String)) {
            fail(name, "a string");
            return {};
        }
        return v->string;
    }

    std::optional<std::string> optional_string(const char *name)
    {
        const JsonValue *v = object.get(name);
        if (!v || v->is(Type::Null))
            return std::nullopt;
        if (!v->is(Type::String)) {
            fail(name, "a string");
            return std::nullopt;
        }
        return v->string;
    }

    bool boolean(const char *name)
    {
        const JsonValue *v = object.get(name);
        if (!v || !v->is(Type::Bool)) {
            fail(name, "true or false");
            return false;
        }
        return v->boolean;
    }

    void fail(const char *name, const char *what)
    {
        if (!error)
            error = bad_message(
                "'" + std::string(type) + "' needs a member '" + name + "' that is " + what, type);
    }
};

bool is_string(const JsonValue *v)
{
    return v && v->is(Type::String);
}

// `data` of a signal: exactly one of sdp, ice, bye, each of the right shape, as a typed value;
// or why it is not one.
std::variant<SignalData, std::string> read_signal_data(const JsonValue *data)
{
    if (!data || !data->is(Type::Object))
        return "'data' must be an object";
    const JsonValue *sdp = data->get("sdp");
    const JsonValue *ice = data->get("ice");
    const JsonValue *bye = data->get("bye");
    if ((sdp != nullptr) + (ice != nullptr) + (bye != nullptr) != 1)
        return "'data' must hold exactly one of 'sdp', 'ice' or 'bye'";
    if (sdp) {
        if (!sdp->is(Type::Object))
            return "'sdp' must be an object";
        const JsonValue *type = sdp->get("type");
        if (!is_string(type) || (type->string != "offer" && type->string != "answer"))
            return "'sdp.type' must be \"offer\" or \"answer\"";
        const JsonValue *text = sdp->get("sdp");
        if (!is_string(text))
            return "'sdp.sdp' must be a string";
        return SignalData(SessionDescription{type->string == "offer"
                                                 ? SessionDescription::Type::Offer
                                                 : SessionDescription::Type::Answer,
                                             text->string});
    }
    if (ice) {
        if (!ice->is(Type::Object))
            return "'ice' must be an object";
        const JsonValue *candidate = ice->get("candidate");
        if (!is_string(candidate))
            return "'ice.candidate' must be a string";
        IceCandidate out{candidate->string, std::nullopt, std::nullopt};
        const JsonValue *mid = ice->get("sdpMid");
        if (mid && !mid->is(Type::Null) && !mid->is(Type::String))
            return "'ice.sdpMid' must be a string or null";
        if (mid && mid->is(Type::String))
            out.mid = mid->string;
        const JsonValue *index = ice->get("sdpMLineIndex");
        if (index && !index->is(Type::Null) && !(index->is(Type::Number) && index->is_integer))
            return "'ice.sdpMLineIndex' must be an integer or null";
        if (index && index->is(Type::Number))
            out.mline_index = index->integer;
        return SignalData(std::move(out));
    }
    if (!bye->is(Type::Bool) || !bye->boolean)
        return "'bye' must be true";
    return SignalData(Bye{});
}

ParseResult parse_object(const JsonValue &obj, std::string_view type)
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
        const JsonValue *data = obj.get("data");
        auto typed = read_signal_data(data);
        if (const std::string *why = std::get_if<std::string>(&typed))
            return bad_message(*why, type);
        m.data = std::move(std::get<SignalData>(typed));
        m.data_json = std::string(data->source);
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
    static constexpr std::array<std::string_view, 17> names = {
        "bad-json", "bad-message", "too-large",     "rate-limited",    "not-in-room",  "bad-room",
        "bad-nick", "nick-taken",  "bad-text",      "unknown-peer",    "room-full",    "forbidden",
        "busy",     "media-error", "storage-error", "already-in-room", "storage-full",
    };
    return names.at(static_cast<std::size_t>(code));
}

std::string_view type_name(const ClientMessage &message)
{
    static constexpr std::array<std::string_view, std::variant_size_v<ClientMessage>> names = {
        "join", "leave", "nick", "chat", "whisper", "list-rooms", "signal", "media"};
    return names.at(message.index());
}

ParseResult MessageParser::parse(std::string_view text) const
{
    std::string why;
    auto root = read_json(text, why);
    if (!root)
        return ProtocolError{ErrorCode::BadJson,
                             text.find_first_not_of(" \t\r\n") == std::string_view::npos
                                 ? "the message is empty"
                                 : "the message is not valid JSON: " + why,
                             ""};
    const JsonValue *type = root->is(Type::Object) ? root->get("type") : nullptr;
    if (!is_string(type))
        return bad_message("a message must be a JSON object with a string member 'type'", "");
    return parse_object(*root, type->string);
}

} // namespace callbox::protocol
