// RoomHandoff: the move to Janus as a chain of asynchronous steps (session → handle → VideoRoom
// → the device's publication → the browsers told), any of which may fail back to the mesh.
#include "sfu/room-handoff.hpp"

#include "protocol/encode.hpp"
#include "protocol/json-writer.hpp"

#include <glib.h>

namespace callbox::sfu {

using protocol::JsonValue;

namespace {

constexpr const char *kVideoRoom = "janus.plugin.videoroom";
// A move that failed is tried again on a later join only after this long.
constexpr std::int64_t kRetryAfterUs = 10 * G_USEC_PER_SEC;

std::string random_token()
{
    char buffer[17];
    g_snprintf(buffer, sizeof buffer, "%08x%08x", g_random_int(), g_random_int());
    return buffer;
}

std::uint64_t number_of(const JsonValue *data, std::string_view key)
{
    const JsonValue *v = data ? data->get(key) : nullptr;
    return v && v->is_integer && v->integer > 0 ? static_cast<std::uint64_t>(v->integer) : 0;
}

} // namespace

struct RoomHandoff::Room final : PublisherSink {
    enum class Stage { Mesh, Moving, Janus };
    RoomHandoff &owner;
    std::string name;
    Stage stage = Stage::Mesh;
    bool large = false; // the admin marked it large
    std::string reason; // why it meshes though it should not, if so
    std::int64_t failed_us = 0;
    std::uint64_t attempt = 0;
    std::uint64_t handle = 0; // the device's handle in Janus (publisher, and the room's owner)
    std::uint64_t videoroom = 0;
    std::uint64_t feed = 0; // the device's publisher id in the VideoRoom
    std::string pin, secret;
    bool publishing = false;
    std::string device_state;     // of the device's publication
    bool announced = false;       // the room's browsers were told to use Janus
    unsigned device_failures = 0; // the device's publication failed since it last connected

    Room(RoomHandoff &o, std::string n) : owner(o), name(std::move(n)) {}
    const char *mode() const
    {
        return stage == Stage::Janus ? "janus" : stage == Stage::Moving ? "moving" : "mesh";
    }
    void offer(const std::string &sdp) override { owner.on_offer(*this, sdp); }
    void candidate(unsigned mline, const std::string &candidate) override
    {
        if (owner.api_ && handle)
            owner.api_->trickle(handle, mline, candidate);
    }
    void state(std::string_view state, const std::string &why) override
    {
        device_state = state;
        if (state == "connected")
            device_failures = 0;
        else if (state == "failed")
            owner.republish(*this, why);
    }
};

RoomHandoff::RoomHandoff(const config::Config &c, rooms::Outbox &outbox,
                         rooms::RoomRegistry &registry, DevicePublisher *publisher)
    : janus_url_(c.sfu_janus_url),
      public_url_(c.sfu_public_url.empty() ? c.sfu_janus_url : c.sfu_public_url),
      mesh_max_(c.sfu_mesh_max), max_rooms_(c.sfu_max_rooms), device_retries_(c.sfu_device_retries),
      publishers_(c.max_browsers + 1), outbox_(outbox), registry_(registry), publisher_(publisher)
{
    if (!janus_url_.empty()) {
        api_ = JanusApi::create(janus_url_, c.sfu_timeout);
        api_->set_lost_listener([this](const std::string &why) {
            janus_problem_ = why;
            for (auto &[name, room] : rooms_)
                if (room->stage != Room::Stage::Mesh)
                    fall_back(*room, why);
        });
        api_->set_event_listener([this](std::uint64_t handle, const JsonValue &event) {
            on_janus_event(handle, event);
        });
    }
    registry_.set_member_listener([this](const std::string &room, rooms::PeerId peer,
                                         std::size_t count,
                                         bool joined) { on_member(room, peer, count, joined); });
}

RoomHandoff::~RoomHandoff()
{
    registry_.set_member_listener(nullptr);
    for (auto &[name, room] : rooms_)
        tear_down(*room);
}

std::size_t RoomHandoff::rooms_on_janus() const
{
    std::size_t n = 0;
    for (const auto &[name, room] : rooms_)
        n += room->stage != Room::Stage::Mesh;
    return n;
}

void RoomHandoff::send_room(const std::string &room, const std::string &json)
{
    for (rooms::PeerId peer : registry_.room_peers(room))
        outbox_.send(peer, json);
}

void RoomHandoff::on_member(const std::string &name, rooms::PeerId peer, std::size_t count,
                            bool joined)
{
    auto it = rooms_.find(name);
    if (!api_ && it == rooms_.end())
        return; // no Janus: rooms mesh, and only the admin's marks are kept (with the reason)
    if (!joined) {
        if (count == 0 && it != rooms_.end()) { // the room is gone
            tear_down(*it->second);
            rooms_.erase(it);
        }
        return;
    }
    if (it == rooms_.end()) {
        if (count <= mesh_max_)
            return;
        it = rooms_.emplace(name, std::make_unique<Room>(*this, name)).first;
    }
    Room &room = *it->second;
    if (room.announced)
        return outbox_.send(
            peer, protocol::encode::sfu(name, {public_url_, room.videoroom, room.pin, room.feed}));
    const bool retry_due =
        room.failed_us == 0 || g_get_monotonic_time() - room.failed_us >= kRetryAfterUs;
    if (room.stage == Room::Stage::Mesh && (room.large || count > mesh_max_) && retry_due)
        move(room);
}

bool RoomHandoff::set_large(const std::string &name, bool large, std::string &error)
{
    if (registry_.room_peers(name).empty()) {
        error = "there is no room called '" + name + "' (a room exists while a browser is in it)";
        return false;
    }
    auto it = rooms_.find(name);
    if (it == rooms_.end())
        it = rooms_.emplace(name, std::make_unique<Room>(*this, name)).first;
    Room &room = *it->second;
    room.large = large;
    if (large && room.stage == Room::Stage::Mesh)
        move(room);
    else if (!large && room.stage != Room::Stage::Mesh)
        fall_back(room, "the admin made it a small room again");
    if (!large)
        room.reason.clear();
    return true;
}

void RoomHandoff::move(Room &room)
{
    room.attempt = ++attempts_;
    if (!api_)
        return fall_back(room, "no Janus is configured ([sfu] janus_url)");
    if (rooms_on_janus() >= max_rooms_)
        return fall_back(room, "already " + std::to_string(rooms_on_janus()) +
                                   " rooms on Janus, the most [sfu] max_rooms allows");
    room.stage = Room::Stage::Moving;
    room.reason.clear();
    g_message("sfu: moving room '%s' to Janus at %s", room.name.c_str(), janus_url_.c_str());
    api_->open([this, name = room.name, attempt = room.attempt](const std::string &error) {
        Room *room = current(name, attempt);
        if (!room)
            return;
        janus_problem_ = error;
        if (!error.empty())
            return fall_back(*room, error);
        attach_device(*room, true);
    });
}

void RoomHandoff::attach_device(Room &room, bool create_room)
{
    api_->attach(kVideoRoom, [this, name = room.name, attempt = room.attempt,
                              create_room](std::uint64_t handle, std::string error) {
        Room *room = current(name, attempt);
        if (!room) {
            api_->detach(handle);
            return;
        }
        if (!error.empty())
            return fall_back(*room, error);
        room->handle = handle;
        if (create_room)
            create_videoroom(*room);
        else
            publish_device(*room);
    });
}

void RoomHandoff::on_janus_event(std::uint64_t handle, const JsonValue &event)
{
    // Janus hangs up the device's handle when its ICE or DTLS fails on Janus's side; webrtcbin
    // may never say so itself (it stays "connecting"), so the hang-up is the failure.
    const JsonValue *kind = event.get("janus");
    if (handle == 0 || !kind || !kind->is(JsonValue::Type::String) || kind->string != "hangup")
        return;
    for (auto &[name, room] : rooms_)
        if (room->handle == handle && room->stage == Room::Stage::Janus) {
            const JsonValue *reason = event.get("reason");
            const bool has_reason = reason && reason->is(JsonValue::Type::String);
            return republish(*room, "Janus hung up (" +
                                        (has_reason ? reason->string : std::string("no reason")) +
                                        ")");
        }
}

void RoomHandoff::republish(Room &room, const std::string &why)
{
    const std::string reason = "the device's stream to Janus failed: " + why;
    if (room.stage != Room::Stage::Janus || ++room.device_failures > device_retries_)
        return fall_back(room, reason);
    g_message("sfu: room '%s': %s; publishing again (%u of %u)", room.name.c_str(), reason.c_str(),
              room.device_failures, device_retries_);
    // A new handle joins the same VideoRoom; the browsers see the old feed go and the new come.
    publisher_->unpublish(room.name);
    room.publishing = false;
    api_->detach(room.handle);
    room.handle = 0;
    room.stage = Room::Stage::Moving;
    room.attempt = ++attempts_;
    attach_device(room, false);
}

RoomHandoff::Room *RoomHandoff::current(const std::string &name, std::uint64_t attempt)
{
    auto it = rooms_.find(name);
    return it != rooms_.end() && it->second->attempt == attempt &&
                   it->second->stage == Room::Stage::Moving
               ? it->second.get()
               : nullptr;
}

void RoomHandoff::create_videoroom(Room &room)
{
    // Janus room ids are numbers; a random one below 2^53 (a browser reads it as a JS number).
    room.videoroom = (std::uint64_t{g_random_int()} << 21 | (g_random_int() & 0x1fffff)) + 1;
    room.pin = random_token();
    room.secret = random_token();
    protocol::JsonWriter w;
    w.begin_object()
        .member("request", "create")
        .member("room", room.videoroom)
        .member("description", std::string_view(room.name))
        .member("pin", std::string_view(room.pin))
        .member("secret", std::string_view(room.secret))
        .member("publishers", static_cast<std::uint64_t>(publishers_))
        .member("videocodec", "h264")
        .member("audiocodec", "opus")
        .member("notify_joining", true)
        .end_object();
    api_->message(room.handle, w.take(), "",
                  [this, name = room.name, attempt = room.attempt](
                      const JsonValue *data, const JsonValue *, std::string error) {
                      Room *room = current(name, attempt);
                      if (!room)
                          return;
                      if (!data)
                          return fall_back(*room, error);
                      publish_device(*room);
                  });
}

void RoomHandoff::publish_device(Room &room)
{
    if (!publisher_)
        return go_live(room); // media off: the browsers meet there without the device
    std::string error;
    room.device_state = "connecting";
    room.publishing = publisher_->publish(room.name, room, error);
    if (!room.publishing)
        fall_back(room, "the device cannot publish: " + error);
}

void RoomHandoff::on_offer(Room &room, const std::string &sdp)
{
    if (room.stage != Room::Stage::Moving)
        return;
    protocol::JsonWriter body, jsep;
    body.begin_object()
        .member("request", "join")
        .member("ptype", "publisher")
        .member("room", room.videoroom)
        .member("pin", std::string_view(room.pin))
        .member("display", protocol::kDevicePeerId)
        .end_object();
    jsep.begin_object().member("type", "offer").member("sdp", std::string_view(sdp)).end_object();
    api_->message(room.handle, body.take(), jsep.take(),
                  [this, name = room.name, attempt = room.attempt](
                      const JsonValue *data, const JsonValue *answer, std::string error) {
                      Room *room = current(name, attempt);
                      if (!room)
                          return;
                      const JsonValue *sdp = answer ? answer->get("sdp") : nullptr;
                      if (data && (!sdp || !sdp->is(JsonValue::Type::String)))
                          error = "Janus did not answer the device's offer";
                      if (!error.empty())
                          return fall_back(*room, error);
                      room->feed = number_of(data, "id");
                      publisher_->answer(name, sdp->string);
                      if ((room = current(name, attempt))) // the answer may have failed it
                          go_live(*room);
                  });
}

void RoomHandoff::go_live(Room &room)
{
    room.stage = Room::Stage::Janus;
    janus_problem_.clear();
    if (room.announced)
        return; // the device published again into a room its browsers already use
    room.announced = true;
    g_message("sfu: room '%s' is on Janus (VideoRoom %" G_GUINT64_FORMAT ")", room.name.c_str(),
              room.videoroom);
    send_room(room.name,
              protocol::encode::sfu(room.name, {public_url_, room.videoroom, room.pin, room.feed}));
}

void RoomHandoff::fall_back(Room &room, std::string reason)
{
    const bool told = room.announced;
    g_message("sfu: room '%s' stays peer to peer: %s", room.name.c_str(), reason.c_str());
    tear_down(room);
    room.reason = reason;
    room.failed_us = g_get_monotonic_time();
    ++room.attempt; // answers still on their way belong to the attempt that failed
    if (told)
        send_room(room.name, protocol::encode::sfu_mesh(room.name, reason));
}

void RoomHandoff::tear_down(Room &room)
{
    if (room.publishing && publisher_)
        publisher_->unpublish(room.name);
    room.publishing = false;
    room.device_state.clear();
    if (api_ && api_->is_open() && room.handle) {
        if (room.videoroom) {
            protocol::JsonWriter w;
            w.begin_object()
                .member("request", "destroy")
                .member("room", room.videoroom)
                .member("secret", std::string_view(room.secret))
                .end_object();
            api_->message(room.handle, w.take(), "",
                          [](const JsonValue *, const JsonValue *, const std::string &) {});
        }
        api_->detach(room.handle);
    }
    room.handle = room.videoroom = room.feed = 0;
    room.stage = Room::Stage::Mesh;
    room.announced = false;
    room.device_failures = 0;
}

std::unique_ptr<RoomHandoff> start_handoff(const config::Config &config, rooms::Outbox &outbox,
                                           rooms::RoomRegistry &registry,
                                           server::MediaControl &media)
{
    return std::make_unique<RoomHandoff>(config, outbox, registry,
                                         dynamic_cast<DevicePublisher *>(&media));
}

void RoomHandoff::write(protocol::JsonWriter &w) const
{
    w.key("sfu").begin_object().member("janus_url", std::string_view(janus_url_));
    w.member("state", !api_                     ? "off"
                      : !janus_problem_.empty() ? "unreachable"
                      : api_->is_open()         ? "connected"
                                                : "idle");
    if (!janus_problem_.empty())
        w.member("problem", std::string_view(janus_problem_));
    w.member("mesh_max", static_cast<std::uint64_t>(mesh_max_))
        .member("max_rooms", static_cast<std::uint64_t>(max_rooms_));
    w.key("rooms").begin_array();
    for (const protocol::RoomCount &rc : registry_.room_counts()) {
        auto it = rooms_.find(rc.name);
        const Room *room = it == rooms_.end() ? nullptr : it->second.get();
        w.begin_object()
            .member("room", std::string_view(rc.name))
            .member("mode", room ? room->mode() : "mesh")
            .member("large", room && room->large);
        if (room && !room->reason.empty())
            w.member("reason", std::string_view(room->reason));
        if (room && room->announced)
            w.member("videoroom", room->videoroom).member("device_feed", room->feed);
        if (room && !room->device_state.empty())
            w.member("device", std::string_view(room->device_state));
        w.end_object();
    }
    w.end_array().end_object();
}

} // namespace callbox::sfu
