// RoomRegistry: joins, leaves, nicknames, chat, whispers, signalling relay and the room list.
#include "rooms/room-registry.hpp"

#include "protocol/encode.hpp"
#include "rooms/text-rules.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

namespace callbox::rooms {

using protocol::ErrorCode;
using protocol::PeerInfo;
namespace encode = protocol::encode;

RoomRegistry::RoomRegistry(Outbox &outbox, ChatLog &log, RoomSettings settings, Clock clock)
    : outbox_(outbox), log_(log), settings_(std::move(settings)), clock_(std::move(clock))
{
    code_guesses_.configure(settings_.code_guesses);
}

void RoomRegistry::update_settings(RoomSettings settings)
{
    settings_ = std::move(settings);
    code_guesses_.configure(settings_.code_guesses);
}

std::string RoomRegistry::peer_name(PeerId id)
{
    return "p" + std::to_string(id);
}

std::optional<PeerId> RoomRegistry::find_peer(std::string_view id) const
{
    PeerId peer = 0;
    if (id.size() < 2 || id[0] != 'p')
        return std::nullopt;
    auto [end, ec] = std::from_chars(id.data() + 1, id.data() + id.size(), peer);
    if (ec != std::errc() || end != id.data() + id.size() || !members_.contains(peer))
        return std::nullopt;
    return peer;
}

std::vector<protocol::PeerInfo> RoomRegistry::room_members(const std::string &name) const
{
    std::vector<protocol::PeerInfo> out;
    auto it = rooms_.find(name);
    if (it == rooms_.end())
        return out;
    for (PeerId id : it->second.members) {
        const Member &m = members_.at(id);
        out.push_back(PeerInfo{m.id, m.nick});
    }
    return out;
}

std::vector<PeerId> RoomRegistry::room_peers(const std::string &name) const
{
    auto it = rooms_.find(name);
    return it == rooms_.end() ? std::vector<PeerId>{} : it->second.members;
}

void RoomRegistry::connect(PeerId id, std::string client)
{
    Member &m = members_[id];
    m.peer = id;
    m.client = std::move(client);
    m.id = peer_name(id);
    auto counts = room_counts();
    outbox_.send(id, encode::welcome(m.id, settings_.device_name, counts));
}

void RoomRegistry::disconnect(PeerId id)
{
    auto it = members_.find(id);
    if (it == members_.end())
        return;
    if (it->second.room)
        leave_room(id, it->second, false);
    members_.erase(it);
}

void RoomRegistry::handle(PeerId from, const protocol::ClientMessage &message)
{
    if (!members_.contains(from))
        return;
    std::visit([this, from](const auto &m) { on(from, m); }, message);
}

void RoomRegistry::refuse(PeerId to, const protocol::ProtocolError &error)
{
    outbox_.send(to, encode::error(error));
}

void RoomRegistry::refuse(PeerId to, ErrorCode code, std::string message, std::string_view re)
{
    refuse(to, protocol::ProtocolError{code, std::move(message), std::string(re)});
}

void RoomRegistry::set_room_list_listener(std::function<void()> listener)
{
    room_list_listener_ = std::move(listener);
}

void RoomRegistry::room_list_changed()
{
    if (room_list_pending_)
        return;
    room_list_pending_ = true;
    if (room_list_listener_)
        room_list_listener_();
}

std::vector<protocol::RoomCount> RoomRegistry::room_counts() const
{
    std::vector<protocol::RoomCount> counts;
    counts.reserve(rooms_.size());
    for (const auto &[name, room] : rooms_)
        counts.push_back({name, room.members.size()});
    return counts;
}

void RoomRegistry::set_device_media(bool audio, bool video)
{
    device_audio_ = audio;
    device_video_ = video;
    const std::string json = encode::media(protocol::kDevicePeerId, audio, video);
    for (const auto &[id, member] : members_)
        if (member.room)
            outbox_.send(id, json);
}

void RoomRegistry::broadcast_room_list()
{
    room_list_pending_ = false;
    auto counts = room_counts();
    const std::string json = encode::rooms(counts);
    for (const auto &[id, member] : members_)
        outbox_.send(id, json);
}

void RoomRegistry::send_room(const Room &room, const std::string &json, PeerId except)
{
    for (PeerId id : room.members)
        if (id != except)
            outbox_.send(id, json);
}

RoomRegistry::Member *RoomRegistry::room_member(const Room &room, std::string_view id)
{
    auto peer = find_peer(id);
    if (!peer)
        return nullptr;
    Member &m = members_.at(*peer);
    return m.room == &room ? &m : nullptr;
}

bool RoomRegistry::nick_taken(const Room &room, const std::string &key, PeerId except) const
{
    return std::any_of(room.members.begin(), room.members.end(),
                       [&](PeerId id) { return id != except && members_.at(id).nick_key == key; });
}

void RoomRegistry::leave_room(PeerId id, Member &member, bool tell_member)
{
    Room *room = member.room;
    std::erase(room->members, id);
    member.room = nullptr;
    if (device_)
        device_->peer_gone(id);
    if (tell_member)
        outbox_.send(id, encode::left(room->name));
    send_room(*room, encode::peer_left(room->name, PeerInfo{member.id, member.nick}));
    const std::string name = room->name;
    const std::size_t count = room->members.size();
    if (room->members.empty())
        rooms_.erase(room->name);
    room_list_changed();
    if (member_listener_)
        member_listener_(name, id, count, false);
}

RoomRegistry::CodeCheck RoomRegistry::check_access_code(const std::string &client,
                                                        const std::optional<std::string> &code)
{
    if (settings_.access_code.empty())
        return {CodeCheck::Ok};
    const std::int64_t now = clock_();
    if (const std::int64_t wait = code_guesses_.wait_ms(client, now))
        return {CodeCheck::Wait, wait};
    if (code.value_or("") != settings_.access_code) {
        if (code)
            code_guesses_.failed(client, now);
        return {code ? CodeCheck::Wrong : CodeCheck::Missing};
    }
    code_guesses_.succeeded(client);
    return {CodeCheck::Ok};
}

void RoomRegistry::on(PeerId from, const protocol::Join &m)
{
    constexpr std::string_view re = "join";
    const CodeCheck check = check_access_code(members_.at(from).client, m.code);
    if (check.verdict == CodeCheck::Wait)
        return refuse(from, ErrorCode::Forbidden,
                      "too many wrong access codes; try again in " +
                          std::to_string((check.wait_ms + 999) / 1000) + " s",
                      re);
    if (check.verdict != CodeCheck::Ok)
        return refuse(from, ErrorCode::Forbidden,
                      check.verdict == CodeCheck::Wrong ? "that access code is wrong"
                                                        : "this device needs an access code",
                      re);
    auto name = valid_room_name(m.room);
    if (!name)
        return refuse(from, ErrorCode::BadRoom,
                      "a room name has 1 to 32 letters, digits, spaces, '-' or '_'", re);
    auto nick = valid_nick(m.nick);
    if (!nick)
        return refuse(from, ErrorCode::BadNick,
                      "a nickname has 1 to 24 characters and no control characters", re);

    Member &self = members_.at(from);
    // A join of one's own room changes nothing and answers no `joined`: its history would be
    // sent again for every such join (docs/protocol.md §5).
    if (self.room && self.room->name == *name)
        return refuse(from, ErrorCode::AlreadyInRoom,
                      "you are already in '" + *name + "'; to change your nickname send \"nick\"",
                      re);
    auto existing = rooms_.find(*name);
    std::string key = nick_key(*nick);
    if (existing != rooms_.end()) {
        if (existing->second.members.size() >= settings_.max_browsers)
            return refuse(from, ErrorCode::RoomFull,
                          "room '" + *name + "' is full (" +
                              std::to_string(settings_.max_browsers) + " browsers)",
                          re);
        if (nick_taken(existing->second, key, from))
            return refuse(from, ErrorCode::NickTaken,
                          "someone in '" + *name + "' is already called '" + *nick + "'", re);
    }

    if (self.room)
        leave_room(from, self, true);

    Room &room = rooms_[*name];
    if (room.name.empty())
        room.name = *name;
    self.nick = std::move(*nick);
    self.nick_key = std::move(key);
    self.room = &room;

    std::vector<PeerInfo> peers;
    peers.reserve(room.members.size() + 1);
    if (device_) // the device is a member of every room while media is on
        peers.push_back(PeerInfo{protocol::kDevicePeerId, settings_.device_name, true});
    for (PeerId id : room.members) {
        const Member &other = members_.at(id);
        peers.push_back(PeerInfo{other.id, other.nick});
    }
    auto history = log_.latest(room.name, settings_.history_length);
    const auto ice = ice_source_ ? std::optional(ice_source_(self.id)) : std::nullopt;
    outbox_.send(
        from, encode::joined(room.name, self.id, self.nick, peers, history, ice ? &*ice : nullptr));
    if (device_)
        outbox_.send(from, encode::media(protocol::kDevicePeerId, device_audio_, device_video_));
    send_room(room, encode::peer_joined(room.name, PeerInfo{self.id, self.nick}));
    room.members.push_back(from);
    room_list_changed();
    if (member_listener_)
        member_listener_(room.name, from, room.members.size(), true);
}

void RoomRegistry::on(PeerId from, const protocol::Leave &)
{
    Member &self = members_.at(from);
    if (!self.room)
        return refuse(from, ErrorCode::NotInRoom, "you are not in a room", "leave");
    leave_room(from, self, true);
}

void RoomRegistry::on(PeerId from, const protocol::Nick &m)
{
    constexpr std::string_view re = "nick";
    Member &self = members_.at(from);
    if (!self.room)
        return refuse(from, ErrorCode::NotInRoom, "join a room before changing your nickname", re);
    auto nick = valid_nick(m.nick);
    if (!nick)
        return refuse(from, ErrorCode::BadNick,
                      "a nickname has 1 to 24 characters and no control characters", re);
    std::string key = nick_key(*nick);
    if (nick_taken(*self.room, key, from))
        return refuse(from, ErrorCode::NickTaken,
                      "someone in this room is already called '" + *nick + "'", re);
    std::string old = std::exchange(self.nick, std::move(*nick));
    self.nick_key = std::move(key);
    send_room(*self.room, encode::nick_changed(self.room->name, self.id, old, self.nick));
}

void RoomRegistry::on(PeerId from, const protocol::Chat &m)
{
    constexpr std::string_view re = "chat";
    Member &self = members_.at(from);
    if (!self.room)
        return refuse(from, ErrorCode::NotInRoom, "join a room before chatting", re);
    auto text = valid_text(m.text);
    if (!text)
        return refuse(from, ErrorCode::BadText, "a message has 1 to 2000 characters", re);
    protocol::ChatRecord chat{self.room->name, 0, self.id, self.nick, std::move(*text), clock_()};
    std::string error;
    if (!log_.append(chat, error))
        return refuse(from, log_.full() ? ErrorCode::StorageFull : ErrorCode::StorageError,
                      "the message could not be stored, so it was not sent: " + error, re);
    send_room(*self.room, encode::chat(chat));
}

void RoomRegistry::on(PeerId from, const protocol::Whisper &m)
{
    constexpr std::string_view re = "whisper";
    Member &self = members_.at(from);
    if (!self.room)
        return refuse(from, ErrorCode::NotInRoom, "join a room before whispering", re);
    Member *target = room_member(*self.room, m.to);
    if (!target)
        return refuse(from, ErrorCode::UnknownPeer, "nobody in this room has the id '" + m.to + "'",
                      re);
    auto text = valid_text(m.text);
    if (!text)
        return refuse(from, ErrorCode::BadText, "a message has 1 to 2000 characters", re);
    std::string json = encode::whisper(PeerInfo{self.id, self.nick},
                                       PeerInfo{target->id, target->nick}, *text, clock_());
    outbox_.send(from, json);
    if (target != &self)
        outbox_.send(target->peer, json);
}

void RoomRegistry::on(PeerId from, const protocol::ListRooms &)
{
    auto counts = room_counts();
    outbox_.send(from, encode::rooms(counts));
}

void RoomRegistry::on(PeerId from, const protocol::Signal &m)
{
    constexpr std::string_view re = "signal";
    Member &self = members_.at(from);
    if (!self.room)
        return refuse(from, ErrorCode::NotInRoom, "join a room before calling", re);
    if (m.to == protocol::kDevicePeerId) {
        if (!device_) // media is off: the device is in no room
            return refuse(from, ErrorCode::UnknownPeer,
                          "the device takes no calls: media is off on this device", re);
        device_->signal(from, m.data);
        return;
    }
    Member *target = room_member(*self.room, m.to);
    if (!target || target == &self)
        return refuse(from, ErrorCode::UnknownPeer,
                      "nobody else in this room has the id '" + m.to + "'", re);
    outbox_.send(target->peer, encode::signal(self.id, m.data_json));
}

void RoomRegistry::on(PeerId from, const protocol::Media &m)
{
    Member &self = members_.at(from);
    if (!self.room)
        return refuse(from, ErrorCode::NotInRoom, "join a room before announcing media", "media");
    send_room(*self.room, encode::media(self.id, m.audio, m.video), from);
}

} // namespace callbox::rooms
