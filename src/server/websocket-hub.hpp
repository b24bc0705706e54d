// WebSocketHub: every open /ws connection — frames in, frames out, rate limits, liveness pings.
#pragma once

#include "protocol/parser.hpp"
#include "rooms/room-registry.hpp"
#include "server/rate-limiter.hpp"
#include "util/glib-ptr.hpp"

#include <libsoup/soup.h>

#include <memory>
#include <unordered_map>

namespace callbox::server
{

struct HubSettings {
    unsigned ping_interval = 15; // s
    unsigned rate_limit = 20;    // messages/s, 0 = none
    unsigned rate_window = 5;    // s
};

class WebSocketHub final : public rooms::Outbox
{
public:
    explicit WebSocketHub(HubSettings settings);
    ~WebSocketHub() override;

    void attach(rooms::RoomRegistry *registry);
    void update_settings(const HubSettings &settings);

    // Takes over a connection that has just completed its handshake.
    void accept(SoupWebsocketConnection *connection);
    void send(rooms::PeerId to, const std::string &json) override;
    // Closes every connection (shutdown).
    void close_all(gushort code, const char *reason);

    std::size_t size() const { return sessions_.size(); }
    std::uint64_t frames_in() const { return frames_in_; }
    std::uint64_t frames_out() const { return frames_out_; }

private:
    struct Session;

    void on_frame(Session &s, SoupWebsocketDataType type, GBytes *bytes);
    void on_closed(Session &s);
    void refuse_rate(Session &s, std::string_view re);
    void sweep();
    void schedule_room_list();

    HubSettings settings_;
    rooms::RoomRegistry *registry_ = nullptr;
    protocol::MessageParser parser_;
    std::unordered_map<rooms::PeerId, std::unique_ptr<Session>> sessions_;
    rooms::PeerId next_id_ = 1;
    GSourceRemove sweep_timer_;
    GSourceRemove room_list_timer_;
    std::int64_t room_list_sent_us_ = 0;
    std::uint64_t frames_in_ = 0;
    std::uint64_t frames_out_ = 0;
};

} // namespace callbox::server
