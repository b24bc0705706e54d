// WebSocketHub: every /ws connection: the upgrade, frames in, frames out (batched,
// group-committed).
#pragma once

#include "loop/batched-stream.hpp"
#include "loop/iteration-hook.hpp"
#include "protocol/parser.hpp"
#include "rooms/room-registry.hpp"
#include "server/rate-limiter.hpp"
#include "store/group-commit.hpp"
#include "util/glib-ptr.hpp"

#include <libsoup/soup.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace callbox::server {

struct HubSettings {
    unsigned ping_interval = 15;  // s
    unsigned rate_limit = 20;     // messages/s, 0 = none
    unsigned rate_window = 5;     // s
    unsigned batch_delay_ms = 20; // longest batch under heavy load (see websocket-hub.cpp)
    // A peer that does not read is closed (1008) once this many bytes wait for it, or once its
    // socket has refused more for send_timeout seconds.
    std::size_t send_queue_bytes = 256 * 1024;
    unsigned send_timeout = 30; // s
};

class WebSocketHub final : public rooms::Outbox
{
public:
    explicit WebSocketHub(HubSettings settings);
    ~WebSocketHub() override;

    void attach(rooms::RoomRegistry *registry);
    void update_settings(const HubSettings &settings);

    // Answers a WebSocket handshake on `msg` (the /ws handler); once the 101 response is
    // written the connection, over a batched stream, is accepted.
    void upgrade(SoupServerMessage *msg);
    // Takes over a connection that has just completed its handshake, over `stream` (made by
    // the hub's OutputBatch). `client` is the peer's address bucket (access-code back-off is
    // per bucket).
    void accept(rooms::PeerId id, SoupWebsocketConnection *connection, GIOStream *stream,
                std::string client);
    void send(rooms::PeerId to, const std::string &json) override;
    // Closes every connection (shutdown).
    void close_all(gushort code, const char *reason);
    // Disconnects `peer` (the admin's kick): it leaves its room now, then its socket closes
    // with code 4001 and `reason`.
    void kick(rooms::PeerId peer, const char *reason);

    std::size_t size() const { return sessions_.size(); }
    std::uint64_t frames_in() const { return frames_in_; }
    std::uint64_t frames_out() const { return frames_out_; }
    // Payload bytes of the frames (without WebSocket framing).
    std::uint64_t bytes_in() const { return bytes_in_; }
    std::uint64_t bytes_out() const { return bytes_out_; }
    // Batching under heavy chat load: the current batch length (0: not batching), how many
    // batches have been flushed, and the writes made to the sockets.
    double batch_ms() const { return static_cast<double>(tick_us_) / 1000.0; }
    std::uint64_t batches() const { return batches_; }
    std::uint64_t socket_writes() const { return output_.socket_writes(); }
    // Peers closed because they did not read what was sent to them (1008), and because a
    // message of theirs was too large (1009).
    std::uint64_t slow_peers_closed() const { return slow_closed_; }
    std::uint64_t too_large_closed() const { return too_large_closed_; }
    // The chat store's appends during one batch share one commit (see GroupCommit).
    store::GroupCommit &group_commit() { return group_commit_; }

private:
    struct Session;

    void on_frame(Session &s, SoupWebsocketDataType type, GBytes *bytes);
    void handle(Session &s, const protocol::ClientMessage &message);
    void on_closed(Session &s);
    void refuse_rate(Session &s, std::string_view re);
    void refuse_too_large(Session &s);
    // A peer that does not read: out of the rooms at the end of the iteration, then closed.
    void drop_slow(Session &s, const char *why);
    void close_slow_peers();
    void sweep();
    void schedule_room_list();
    void complete_upgrade(SoupServerMessage *msg, GList *extensions);
    void send_now(Session &s, const std::string &json);
    void close_now(rooms::PeerId id, gushort code, const std::string &reason);
    int end_of_iteration();
    void measure_load(std::int64_t now);
    // Commits and sends what is held: a batch, when busy.
    void flush_batch(std::int64_t now);
    void flush_held();

    // A frame (or close) held back while chat messages of this iteration are uncommitted.
    // A broadcast holds one frame for each member, all sharing one copy of its JSON.
    struct Held {
        rooms::PeerId to;
        std::shared_ptr<const std::string> json; // the frame, or the close reason (`close`)
        std::uint64_t chat;                      // the chat append that caused it (0: none)
        gushort close = 0;
    };
    void hold(rooms::PeerId to, const std::string &json, std::uint64_t chat, gushort close = 0);

    HubSettings settings_;
    rooms::RoomRegistry *registry_ = nullptr;
    protocol::MessageParser parser_;
    std::unordered_map<rooms::PeerId, std::unique_ptr<Session>> sessions_;
    rooms::PeerId next_id_ = 1;
    SourceId sweep_timer_;
    SourceId room_list_timer_;
    std::int64_t room_list_sent_us_ = 0;
    std::uint64_t frames_in_ = 0;
    std::uint64_t frames_out_ = 0;
    std::uint64_t bytes_in_ = 0;
    std::uint64_t bytes_out_ = 0;
    std::uint64_t slow_closed_ = 0;
    std::uint64_t too_large_closed_ = 0;
    std::vector<std::pair<rooms::PeerId, const char *>> slow_; // to close with 1008
    // Group commit: frames held until the end of the iteration, the append being handled
    // (1-based count from GroupCommit::appends()) and who sent each held chat message.
    store::GroupCommit group_commit_;
    std::vector<Held> held_;
    std::uint64_t current_chat_ = 0;
    std::vector<std::pair<std::uint64_t, rooms::PeerId>> held_chats_;
    bool flushing_ = false;
    std::int64_t last_flush_us_ = 0;
    std::int64_t period_start_us_ = 0;
    std::uint64_t period_chats_ = 0;
    std::int64_t tick_us_ = 0; // > 0 while busy: the length of a batch
    std::uint64_t batches_ = 0;
    loop::IterationHook iteration_end_;
    // What libsoup writes to each socket during an iteration leaves in one write at its end.
    loop::OutputBatch output_;
};

} // namespace callbox::server
