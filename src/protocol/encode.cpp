// Server → client messages, written once with JsonWriter and sent to every recipient as is.
#include "protocol/encode.hpp"

#include "protocol/json-writer.hpp"

namespace callbox::protocol::encode {

namespace {

void write_peer(JsonWriter &w, const PeerInfo &peer, bool mark_device = false)
{
    w.begin_object().member("id", peer.id).member("nick", peer.nick);
    if (mark_device && peer.device)
        w.member("device", true);
    w.end_object();
}

void write_rooms(JsonWriter &w, std::span<const RoomCount> rooms)
{
    w.key("rooms").begin_array();
    for (const auto &r : rooms)
        w.begin_object()
            .member("name", std::string_view(r.name))
            .member("count", static_cast<std::uint64_t>(r.count))
            .end_object();
    w.end_array();
}

void write_chat(JsonWriter &w, const ChatRecord &c)
{
    w.begin_object()
        .member("type", "chat")
        .member("room", std::string_view(c.room))
        .member("seq", c.seq);
    w.key("from");
    write_peer(w, PeerInfo{c.from_id, c.from_nick});
    w.member("text", std::string_view(c.text)).member("ts", c.ts).end_object();
}

JsonWriter start(std::string_view type)
{
    JsonWriter w;
    w.begin_object().member("type", type);
    return w;
}

} // namespace

std::string welcome(std::string_view id, std::string_view device_name,
                    std::span<const RoomCount> rooms)
{
    JsonWriter w = start("welcome");
    w.member("id", id);
    w.key("device")
        .begin_object()
        .member("id", kDevicePeerId)
        .member("name", device_name)
        .end_object();
    write_rooms(w, rooms);
    w.member("protocol", kVersion);
    return w.end_object().take();
}

std::string joined(std::string_view room, std::string_view id, std::string_view nick,
                   std::span<const PeerInfo> peers, std::span<const ChatRecord> history,
                   const IceConfig *ice)
{
    JsonWriter w = start("joined");
    w.member("room", room).member("id", id).member("nick", nick);
    w.key("peers").begin_array();
    for (const auto &p : peers)
        write_peer(w, p, true);
    w.end_array();
    w.key("history").begin_array();
    for (const auto &c : history)
        write_chat(w, c);
    w.end_array();
    if (ice && !ice->servers.empty()) {
        w.key("ice_servers").begin_array();
        for (const IceServer &s : ice->servers) {
            w.begin_object().key("urls").begin_array();
            for (const std::string &url : s.urls)
                w.value(std::string_view(url));
            w.end_array();
            if (!s.username.empty())
                w.member("username", std::string_view(s.username))
                    .member("credential", std::string_view(s.credential));
            w.end_object();
        }
        w.end_array().member("ice_transport_policy", ice->relay_only ? "relay" : "all");
    }
    return w.end_object().take();
}

std::string peer_joined(std::string_view room, const PeerInfo &peer)
{
    JsonWriter w = start("peer-joined");
    w.member("room", room).key("peer");
    write_peer(w, peer);
    return w.end_object().take();
}

std::string left(std::string_view room)
{
    return start("left").member("room", room).end_object().take();
}

std::string peer_left(std::string_view room, const PeerInfo &peer)
{
    JsonWriter w = start("peer-left");
    w.member("room", room).key("peer");
    write_peer(w, peer);
    return w.end_object().take();
}

std::string nick_changed(std::string_view room, std::string_view id, std::string_view old_nick,
                         std::string_view nick)
{
    return start("nick-changed")
        .member("room", room)
        .member("id", id)
        .member("old", old_nick)
        .member("nick", nick)
        .end_object()
        .take();
}

std::string chat(const ChatRecord &chat)
{
    JsonWriter w;
    write_chat(w, chat);
    return w.take();
}

std::string whisper(const PeerInfo &from, const PeerInfo &to, std::string_view text,
                    std::int64_t ts)
{
    JsonWriter w = start("whisper");
    w.key("from");
    write_peer(w, from);
    w.key("to");
    write_peer(w, to);
    return w.member("text", text).member("ts", ts).end_object().take();
}

std::string rooms(std::span<const RoomCount> rooms)
{
    JsonWriter w = start("rooms");
    write_rooms(w, rooms);
    return w.end_object().take();
}

std::string rooms_document(std::span<const RoomCount> rooms)
{
    JsonWriter w;
    w.begin_object();
    write_rooms(w, rooms);
    return w.end_object().take();
}

std::string signal(std::string_view from, std::string_view data_json)
{
    return start("signal").member("from", from).key("data").raw(data_json).end_object().take();
}

namespace {

struct SignalDataWriter {
    JsonWriter &w;

    void operator()(const SessionDescription &d) const
    {
        w.key("sdp")
            .begin_object()
            .member("type", d.type == SessionDescription::Type::Offer ? "offer" : "answer")
            .member("sdp", std::string_view(d.sdp))
            .end_object();
    }
    void operator()(const IceCandidate &c) const
    {
        w.key("ice").begin_object().member("candidate", std::string_view(c.candidate));
        if (c.mid)
            w.member("sdpMid", std::string_view(*c.mid));
        if (c.mline_index)
            w.member("sdpMLineIndex", *c.mline_index);
        w.end_object();
    }
    void operator()(const Bye &) const { w.member("bye", true); }
};

} // namespace

std::string signal(std::string_view from, const SignalData &data)
{
    JsonWriter w = start("signal");
    w.member("from", from).key("data").begin_object();
    std::visit(SignalDataWriter{w}, data);
    return w.end_object().end_object().take();
}

std::string media(std::string_view id, bool audio, bool video)
{
    return start("media")
        .member("id", id)
        .member("audio", audio)
        .member("video", video)
        .end_object()
        .take();
}

std::string call_state(std::string_view peer, std::string_view state)
{
    return start("call-state").member("peer", peer).member("state", state).end_object().take();
}

std::string sfu(std::string_view room, const SfuRoom &where)
{
    return start("sfu")
        .member("room", room)
        .member("mode", "janus")
        .member("url", std::string_view(where.url))
        .member("videoroom", where.videoroom)
        .member("pin", std::string_view(where.pin))
        .member("device_feed", where.device_feed)
        .end_object()
        .take();
}

std::string sfu_mesh(std::string_view room, std::string_view reason)
{
    return start("sfu")
        .member("room", room)
        .member("mode", "mesh")
        .member("reason", reason)
        .end_object()
        .take();
}

std::string error(const ProtocolError &error)
{
    JsonWriter w = start("error");
    w.member("code", error_code_name(error.code))
        .member("message", std::string_view(error.message));
    if (!error.re.empty())
        w.member("re", std::string_view(error.re));
    return w.end_object().take();
}

} // namespace callbox::protocol::encode
