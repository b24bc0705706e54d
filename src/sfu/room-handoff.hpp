// RoomHandoff: moves a large room's media from the browsers' mesh to a Janus VideoRoom — when
// the admin marks it large or more browsers join than may mesh — with the device publishing
// into it once; tells the room's browsers where media flows, and why a room still meshes.
#pragma once

#include "config/config.hpp"
#include "rooms/room-registry.hpp"
#include "server/media-control.hpp"
#include "server/sfu-control.hpp"
#include "sfu/device-publisher.hpp"
#include "sfu/janus-api.hpp"

#include <map>
#include <memory>
#include <string>

namespace callbox::sfu {

class RoomHandoff final : public server::SfuControl
{
public:
    // `publisher` may be null (media off): rooms move without the device's stream then.
    RoomHandoff(const config::Config &config, rooms::Outbox &outbox, rooms::RoomRegistry &registry,
                DevicePublisher *publisher);
    ~RoomHandoff() override;
    RoomHandoff(const RoomHandoff &) = delete;
    RoomHandoff &operator=(const RoomHandoff &) = delete;

    void write(protocol::JsonWriter &w) const override;
    bool set_large(const std::string &room, bool large, std::string &error) override;

    struct Room;

private:
    void on_member(const std::string &room, rooms::PeerId peer, std::size_t count, bool joined);
    void move(Room &room);
    // The steps of a move; each goes on only if `attempt` is still the room's current one.
    Room *current(const std::string &name, std::uint64_t attempt);
    // A handle for the device's publication; then the VideoRoom is made, or (`create_room`
    // false: the room exists) the device publishes into it.
    void attach_device(Room &room, bool create_room);
    // The device's publication failed: publish again, at most [sfu] device_retries times in a
    // row, then back to the mesh.
    void republish(Room &room, const std::string &why);
    void on_janus_event(std::uint64_t handle, const protocol::JsonValue &event);
    void create_videoroom(Room &room);
    void publish_device(Room &room);
    void go_live(Room &room);
    friend struct Room;
    void on_offer(Room &room, const std::string &sdp);
    // Back to the mesh with `reason` (the browsers are told when they had been moved).
    void fall_back(Room &room, std::string reason);
    void tear_down(Room &room);
    void send_room(const std::string &room, const std::string &json);
    std::size_t rooms_on_janus() const;

    std::string janus_url_;
    std::string public_url_;
    unsigned mesh_max_;
    unsigned max_rooms_;
    unsigned device_retries_;
    std::size_t publishers_; // per VideoRoom: every browser the room may hold, and the device
    rooms::Outbox &outbox_;
    rooms::RoomRegistry &registry_;
    DevicePublisher *publisher_;
    std::shared_ptr<JanusApi> api_;
    std::string janus_problem_; // why Janus could not be used the last time, if it could not
    std::map<std::string, std::unique_ptr<Room>> rooms_;
    std::uint64_t attempts_ = 0;
};

// The hand-off the config asks for, with the device publishing when `media` can.
std::unique_ptr<RoomHandoff> start_handoff(const config::Config &config, rooms::Outbox &outbox,
                                           rooms::RoomRegistry &registry,
                                           server::MediaControl &media);

} // namespace callbox::sfu
