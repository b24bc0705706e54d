// RoomRegistry: who is connected, who is in which room, and what each message makes happen.
// Pure logic: it never touches sockets or files; it talks through Outbox, ChatLog, DevicePeer.
#pragma once

#include "protocol/messages.hpp"
#include "rooms/guess-limiter.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace callbox::rooms {

using PeerId = std::uint64_t;

// Where the registry's decisions go: one frame for one connection.
class Outbox
{
public:
    virtual ~Outbox() = default;
    virtual void send(PeerId to, const std::string &json) = 0;
};

// Durable chat history, one sequence per room name.
class ChatLog
{
public:
    virtual ~ChatLog() = default;
    // Stores `chat` durably and sets its seq; false with a reason when it could not.
    virtual bool append(protocol::ChatRecord &chat, std::string &error) = 0;
    // After a refused append(): true when it was refused for want of room (storage-full).
    virtual bool full() const { return false; }
    // The latest `count` messages of `room`, oldest first.
    virtual std::vector<protocol::ChatRecord> latest(std::string_view room, std::size_t count) = 0;
};

// The device as a call peer (the media part). Absent while media is off.
class DevicePeer
{
public:
    virtual ~DevicePeer() = default;
    virtual void signal(PeerId from, const protocol::SignalData &data) = 0;
    // `peer` left its room or disconnected: end any call with it.
    virtual void peer_gone(PeerId peer) = 0;
};

struct RoomSettings {
    std::string device_name = "callbox";
    std::size_t max_browsers = 8;
    std::size_t history_length = 50;
    std::string access_code;  // empty: no code needed
    GuessPolicy code_guesses; // the back-off after wrong access codes
};

class RoomRegistry
{
public:
    using Clock = std::function<std::int64_t()>; // ms since the Unix epoch

    RoomRegistry(Outbox &outbox, ChatLog &log, RoomSettings settings, Clock clock);

    // `client` names where the connection comes from (its address bucket: the IPv4 address or
    // the IPv6 /64), for the back-off after wrong access codes.
    void connect(PeerId id, std::string client = {});
    void disconnect(PeerId id);
    void handle(PeerId from, const protocol::ClientMessage &message);
    void refuse(PeerId to, const protocol::ProtocolError &error);

    // Called (at most once until the next broadcast) when counts or the room list change.
    void set_room_list_listener(std::function<void()> listener);
    void broadcast_room_list();
    std::vector<protocol::RoomCount> room_counts() const;

    void set_device_peer(DevicePeer *device) { device_ = device; }
    // Told after a browser joined a room (`joined` true, after its `joined` frame) or left it,
    // with the number of browsers in the room now (the SFU hand-off watches this).
    using MemberListener =
        std::function<void(const std::string &room, PeerId peer, std::size_t count, bool joined)>;
    void set_member_listener(MemberListener listener) { member_listener_ = std::move(listener); }
    // The STUN and TURN servers for a member who joins (its wire id), given in `joined`.
    using IceSource = std::function<protocol::IceConfig(std::string_view member_id)>;
    void set_ice_source(IceSource source) { ice_source_ = std::move(source); }
    // The device's own mute state: told to every browser in a room now, and to each
    // browser right after it joins.
    void set_device_media(bool audio, bool video);
    const RoomSettings &settings() const { return settings_; }
    // The access code `code` (none given: nullopt) from `client`, with the back-off after
    // wrong guesses that joins use; for every door that takes the code (joins, WHEP).
    struct CodeCheck {
        enum Verdict { Ok, Missing, Wrong, Wait } verdict;
        std::int64_t wait_ms = 0; // Wait: how long the client must still wait
    };
    CodeCheck check_access_code(const std::string &client, const std::optional<std::string> &code);
    void update_settings(RoomSettings settings);

    std::size_t connection_count() const { return members_.size(); }
    std::size_t room_count() const { return rooms_.size(); }

    static std::string peer_name(PeerId id);
    // The connection with wire id `id` ("p7"), if it is connected.
    std::optional<PeerId> find_peer(std::string_view id) const;
    // Everyone in room `name`, in join order.
    std::vector<protocol::PeerInfo> room_members(const std::string &name) const;
    // The connections in room `name`, in join order.
    std::vector<PeerId> room_peers(const std::string &name) const;

private:
    struct Room;
    struct Member {
        PeerId peer = 0;
        std::string id;
        std::string nick;
        std::string nick_key;
        std::string client;
        Room *room = nullptr;
    };
    // Wrong access codes, per client bucket and for the whole device.
    GuessLimiter code_guesses_;
    struct Room {
        std::string name;
        std::vector<PeerId> members; // in join order
    };

    void on(PeerId from, const protocol::Join &m);
    void on(PeerId from, const protocol::Leave &m);
    void on(PeerId from, const protocol::Nick &m);
    void on(PeerId from, const protocol::Chat &m);
    void on(PeerId from, const protocol::Whisper &m);
    void on(PeerId from, const protocol::ListRooms &m);
    void on(PeerId from, const protocol::Signal &m);
    void on(PeerId from, const protocol::Media &m);

    void leave_room(PeerId id, Member &member, bool tell_member);
    // Someone in `room` other than `except` already has the nickname key `key`.
    bool nick_taken(const Room &room, const std::string &key, PeerId except) const;
    void send_room(const Room &room, const std::string &json, PeerId except = 0);
    Member *room_member(const Room &room, std::string_view id);
    void refuse(PeerId to, protocol::ErrorCode code, std::string message, std::string_view re);
    void room_list_changed();

    Outbox &outbox_;
    ChatLog &log_;
    RoomSettings settings_;
    Clock clock_;
    DevicePeer *device_ = nullptr;
    IceSource ice_source_;
    bool device_audio_ = true;
    bool device_video_ = true;
    std::unordered_map<PeerId, Member> members_;
    std::map<std::string, Room> rooms_;
    std::function<void()> room_list_listener_;
    MemberListener member_listener_;
    bool room_list_pending_ = false;
};

} // namespace callbox::rooms
