// Encoders for every server → client message; each returns the frame's JSON text.
#pragma once

#include "protocol/messages.hpp"

#include <span>
#include <vector>

namespace callbox::protocol::encode {

std::string welcome(std::string_view id, std::string_view device_name,
                    std::span<const RoomCount> rooms);
// With `ice` (servers configured): "ice_servers" and "ice_transport_policy" as well.
std::string joined(std::string_view room, std::string_view id, std::string_view nick,
                   std::span<const PeerInfo> peers, std::span<const ChatRecord> history,
                   const IceConfig *ice = nullptr);
std::string peer_joined(std::string_view room, const PeerInfo &peer);
std::string left(std::string_view room);
std::string peer_left(std::string_view room, const PeerInfo &peer);
std::string nick_changed(std::string_view room, std::string_view id, std::string_view old_nick,
                         std::string_view nick);
std::string chat(const ChatRecord &chat);
std::string whisper(const PeerInfo &from, const PeerInfo &to, std::string_view text,
                    std::int64_t ts);
std::string rooms(std::span<const RoomCount> rooms);
// {"rooms":[...]} as served by GET /api/rooms.
std::string rooms_document(std::span<const RoomCount> rooms);
// A signal relayed between browsers: `data_json` as the sender wrote it.
std::string signal(std::string_view from, std::string_view data_json);
// A signal the server writes itself (the device's answer and candidates).
std::string signal(std::string_view from, const SignalData &data);
std::string media(std::string_view id, bool audio, bool video);
std::string call_state(std::string_view peer, std::string_view state);
// Where a room's media flows (docs/protocol.md, "Large rooms"): through the SFU, with what a
// browser needs to publish and subscribe there...
struct SfuRoom {
    std::string url; // Janus's HTTP API as the browsers reach it
    std::uint64_t videoroom = 0;
    std::string pin;
    std::uint64_t device_feed = 0;
};
std::string sfu(std::string_view room, const SfuRoom &where);
// ...or peer to peer again (or still), with why.
std::string sfu_mesh(std::string_view room, std::string_view reason);
std::string error(const ProtocolError &error);

} // namespace callbox::protocol::encode
