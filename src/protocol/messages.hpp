// The typed messages of callbox's wire protocol (docs/protocol.md), and its error codes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace callbox::protocol {

inline constexpr int kVersion = 1;
inline constexpr std::size_t kMaxMessageBytes = 65536;
inline constexpr std::string_view kDevicePeerId = "device";

enum class ErrorCode {
    BadJson,
    BadMessage,
    TooLarge,
    RateLimited,
    NotInRoom,
    BadRoom,
    BadNick,
    NickTaken,
    BadText,
    UnknownPeer,
    RoomFull,
    Forbidden,
    Busy,
    MediaError,
    StorageError,  // callbox's own: the chat message could not be stored, so it was not sent
    AlreadyInRoom, // callbox's own: a join of the room the connection is already in
    StorageFull,   // callbox's own: no room left to store it (the cap or a full disk)
};

std::string_view error_code_name(ErrorCode code);

// A refusal the sender is told about: {"type":"error","code":...,"message":...,"re":...}.
struct ProtocolError {
    ErrorCode code;
    std::string message;
    std::string re; // type of the offending message, empty when unknown
};

// Client → server messages.
struct Join {
    std::string room;
    std::string nick;
    std::optional<std::string> code;
};
struct Leave {
};
struct Nick {
    std::string nick;
};
struct Chat {
    std::string text;
};
struct Whisper {
    std::string to;
    std::string text;
};
struct ListRooms {
};
// The payload of a signal (`data`), parsed once: an offer or answer, an ICE candidate, or
// the end of a call.
struct SessionDescription {
    enum class Type { Offer, Answer };
    Type type = Type::Offer;
    std::string sdp;
};
struct IceCandidate {
    std::string candidate; // empty: the end of the sender's candidates
    std::optional<std::string> mid;
    std::optional<std::int64_t> mline_index;
};
struct Bye {
};
using SignalData = std::variant<SessionDescription, IceCandidate, Bye>;

// Signalling between two peers: typed for the device; between browsers `data_json` (the
// `data` member exactly as it came, extra members and all) is relayed unchanged.
struct Signal {
    std::string to;
    SignalData data;
    std::string data_json;
};
struct Media {
    bool audio;
    bool video;
};

// A chat message as stored and as sent:
// {"type":"chat","room":..,"seq":..,"from":..,"text":..,"ts":..}.
struct ChatRecord {
    std::string room;
    std::uint64_t seq = 0;
    std::string from_id;
    std::string from_nick;
    std::string text;
    std::int64_t ts = 0; // ms since the Unix epoch
};

// A member as other members see it.
struct PeerInfo {
    std::string_view id;
    std::string_view nick;
    bool device = false;
};

// The STUN and TURN servers a member is given in `joined` (RTCConfiguration's iceServers and
// iceTransportPolicy); absent when none are configured.
struct IceServer {
    std::vector<std::string> urls;
    std::string username; // empty for STUN
    std::string credential;
};
struct IceConfig {
    std::vector<IceServer> servers;
    bool relay_only = false;
};

struct RoomCount {
    std::string name;
    std::size_t count; // browsers, not the device
};

using ClientMessage = std::variant<Join, Leave, Nick, Chat, Whisper, ListRooms, Signal, Media>;

// The wire name of a message's type ("join", "chat", ...).
std::string_view type_name(const ClientMessage &message);

// The outcome of parsing one frame: a message or the error to send back.
class ParseResult
{
public:
    ParseResult(ClientMessage message) : v_(std::move(message)) {}
    template <typename M>
    requires std::is_constructible_v<ClientMessage, M> ParseResult(M message)
        : v_(ClientMessage(std::move(message)))
    {
    }
    ParseResult(ProtocolError error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    const ClientMessage &message() const { return std::get<0>(v_); }
    const ProtocolError &error() const { return std::get<1>(v_); }

private:
    std::variant<ClientMessage, ProtocolError> v_;
};

} // namespace callbox::protocol
