// WebSocketHub: sessions over libsoup WebSocket connections, wired to the RoomRegistry.
#include "server/websocket-hub.hpp"

#include "server/client-address.hpp"
#include "store/group-commit.hpp"

#include <algorithm>
#include <utility>

namespace callbox::server {

namespace {

constexpr std::int64_t kSecond = G_USEC_PER_SEC;
// Batching under heavy load ("busy"): from kBusyRate chat messages a second (measured over
// kRatePeriod) the main loop works in ticks. A tick lasts as long as about kBatchMessages
// messages take to arrive, at least kMinTick and at most the configured batch_delay_ms: the
// poll waits for the tick (IterationHook::hold_poll_until), everything that arrived is
// handled, the chat messages are committed together and each socket gets one write. Below
// kBusyRate (or with batch_delay_ms = 0) every message leaves at the end of its own main-loop
// iteration, as it always did. A batch is a "size or time" rule, like a log's linger time.
constexpr std::uint64_t kBusyRate = 1000;
constexpr std::int64_t kRatePeriod = 100 * 1000; // µs
constexpr std::uint64_t kBatchMessages = 100;
constexpr std::int64_t kMinTick = 3 * 1000; // µs
// However long the tick, a batch is flushed once it holds this many chat messages: after an
// overload, one tick may read a backlog of tens of thousands, and holding all of their frames
// at once would cost memory in proportion.
constexpr std::size_t kMaxBatchMessages = 2000;

} // namespace

struct WebSocketHub::Session {
    WebSocketHub *hub;
    rooms::PeerId id;
    GObjectPtr<SoupWebsocketConnection> connection;
    GObjectPtr<GIOStream> stream; // the batched stream under the connection
    RateLimiter limiter;
    std::int64_t pings_from_us; // when libsoup's keepalive pings started
    std::int64_t alive_us;      // the last frame or pong from the peer
    bool gone = false;          // no more frames either way; dropped from the rooms, or soon
    bool dropping = false;      // gone, and still to be dropped from the rooms (drop_slow)

    Session(WebSocketHub *h, rooms::PeerId i, SoupWebsocketConnection *c, GIOStream *st,
            const HubSettings &s)
        : hub(h), id(i), connection(retain(c)), stream(retain(st)),
          limiter(s.rate_limit, s.rate_window), pings_from_us(g_get_monotonic_time()),
          alive_us(pings_from_us)
    {
    }

    ~Session()
    {
        g_signal_handlers_disconnect_by_data(connection.get(), this);
        loop::OutputBatch::disarm(stream.get());
    }
};

WebSocketHub::WebSocketHub(HubSettings settings)
    : settings_(settings), iteration_end_([this] { return end_of_iteration(); }),
      output_([this] { iteration_end_.arm(); })
{
    output_.set_high_water(settings_.send_queue_bytes);
    sweep_timer_.reset(g_timeout_add_seconds(
        1,
        [](gpointer self) -> gboolean {
            static_cast<WebSocketHub *>(self)->sweep();
            return G_SOURCE_CONTINUE;
        },
        this));
}

WebSocketHub::~WebSocketHub()
{
    sessions_.clear();
}

void WebSocketHub::attach(rooms::RoomRegistry *registry)
{
    registry_ = registry;
    registry_->set_room_list_listener([this] { schedule_room_list(); });
}

void WebSocketHub::update_settings(const HubSettings &settings)
{
    settings_ = settings;
    output_.set_high_water(settings.send_queue_bytes);
    for (auto &[id, s] : sessions_)
        s->limiter.configure(settings.rate_limit, settings.rate_window);
}

void WebSocketHub::upgrade(SoupServerMessage *msg)
{
    // As SoupServer's own WebSocket handler does, except that the connection is made over a
    // batched stream (see OutputBatch) and no extension is offered: libsoup 3.2 inflates a
    // permessage-deflate frame with no limit (docs/decisions/0002-websocket-compression.md).
    GList *extensions = nullptr;
    if (!soup_websocket_server_process_handshake(msg, nullptr, nullptr, nullptr, &extensions))
        return; // libsoup has set the error response
    struct Pending {
        WebSocketHub *hub;
        GList *extensions;
    };
    g_signal_connect_data(
        msg, "wrote-informational", G_CALLBACK(+[](SoupServerMessage *msg, Pending *pending) {
            GList *extensions = std::exchange(pending->extensions, nullptr);
            pending->hub->complete_upgrade(msg, extensions);
        }),
        new Pending{this, extensions},
        [](gpointer data, GClosure *) {
            auto *pending = static_cast<Pending *>(data);
            g_list_free_full(pending->extensions, g_object_unref);
            delete pending;
        },
        static_cast<GConnectFlags>(0));
}

void WebSocketHub::complete_upgrade(SoupServerMessage *msg, GList *extensions)
{
    GObjectPtr<SoupServerMessage> keep = retain(msg);
    std::string client = guess_bucket(msg);
    GObjectPtr<GIOStream> socket = adopt(soup_server_message_steal_connection(msg));
    // The HTTP idle timeout (HttpServer) ends here: pings watch a WebSocket, and the socket's
    // sources (over TLS, or a full socket's) must not time out.
    if (GSocket *raw = loop::socket_under(socket.get(), true)) {
        g_socket_set_timeout(raw, 0);
        g_object_unref(raw);
    }
    const rooms::PeerId id = next_id_++;
    // Each message is counted as it is read, across its fragments (loop/message-meter.hpp).
    loop::MessageLimit limit{protocol::kMaxMessageBytes, [this, id] {
                                 auto it = sessions_.find(id);
                                 if (it != sessions_.end() && !it->second->gone)
                                     refuse_too_large(*it->second);
                             }};
    GObjectPtr<GIOStream> stream = adopt(output_.wrap(socket.get(), std::move(limit)));
    SoupMessageHeaders *request = soup_server_message_get_request_headers(msg);
    SoupMessageHeaders *response = soup_server_message_get_response_headers(msg);
    GObjectPtr<SoupWebsocketConnection> connection = adopt(soup_websocket_connection_new(
        stream.get(), soup_server_message_get_uri(msg), SOUP_WEBSOCKET_CONNECTION_SERVER,
        soup_message_headers_get_one(request, "Origin"),
        soup_message_headers_get_one(response, "Sec-WebSocket-Protocol"), extensions));
    accept(id, connection.get(), stream.get(), std::move(client));
}

void WebSocketHub::accept(rooms::PeerId id, SoupWebsocketConnection *connection, GIOStream *stream,
                          std::string client)
{
    auto session = std::make_unique<Session>(this, id, connection, stream, settings_);
    Session *s = session.get();
    sessions_.emplace(id, std::move(session));

    // The meter closes first; libsoup's own check on each frame stays as a second guard.
    soup_websocket_connection_set_max_incoming_payload_size(connection, protocol::kMaxMessageBytes);
    soup_websocket_connection_set_keepalive_interval(connection, settings_.ping_interval);
    g_signal_connect(
        connection, "message",
        G_CALLBACK(+[](SoupWebsocketConnection *, gint type, GBytes *bytes, Session *session) {
            session->hub->on_frame(*session, static_cast<SoupWebsocketDataType>(type), bytes);
        }),
        s);
    g_signal_connect(connection, "pong",
                     G_CALLBACK(+[](SoupWebsocketConnection *, GBytes *, Session *session) {
                         session->alive_us = g_get_monotonic_time();
                     }),
                     s);
    g_signal_connect(connection, "closed",
                     G_CALLBACK(+[](SoupWebsocketConnection *, Session *session) {
                         session->hub->on_closed(*session);
                     }),
                     s);
    registry_->connect(id, std::move(client));
}

void WebSocketHub::send(rooms::PeerId to, const std::string &json)
{
    // While chat messages of this iteration are uncommitted nothing may leave, and once one
    // frame is held every later one is too, so that each peer gets its frames in order.
    if (!held_.empty() || group_commit_.pending()) {
        hold(to, json, current_chat_);
        return;
    }
    auto it = sessions_.find(to);
    if (it == sessions_.end() || it->second->gone)
        return;
    send_now(*it->second, json);
}

void WebSocketHub::hold(rooms::PeerId to, const std::string &json, std::uint64_t chat,
                        gushort close)
{
    std::shared_ptr<const std::string> shared;
    if (!held_.empty() && *held_.back().json == json)
        shared = held_.back().json; // the next member of the same broadcast
    else
        shared = std::make_shared<const std::string>(json);
    held_.push_back(Held{to, std::move(shared), chat, close});
    iteration_end_.arm();
}

void WebSocketHub::send_now(Session &s, const std::string &json)
{
    SoupWebsocketConnection *c = s.connection.get();
    if (s.gone || soup_websocket_connection_get_state(c) != SOUP_WEBSOCKET_STATE_OPEN)
        return;
    // A peer whose socket is full and has send_queue_bytes waiting gets no more: past this
    // point libsoup would queue without limit.
    if (loop::OutputBatch::backlog(s.stream.get()) >= settings_.send_queue_bytes)
        return drop_slow(s, "not reading: too much waiting to be sent");
    soup_websocket_connection_send_text(c, json.c_str());
    ++frames_out_;
    bytes_out_ += json.size();
}

void WebSocketHub::close_now(rooms::PeerId id, gushort code, const std::string &reason)
{
    auto it = sessions_.find(id);
    if (it == sessions_.end())
        return;
    SoupWebsocketConnection *c = it->second->connection.get();
    if (soup_websocket_connection_get_state(c) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close(c, code, reason.c_str());
}

int WebSocketHub::end_of_iteration()
{
    const std::int64_t now = g_get_monotonic_time();
    measure_load(now);
    int again_ms = -1;
    if (!held_.empty() || group_commit_.pending()) {
        const std::int64_t due = last_flush_us_ + tick_us_;
        if (now < due) {
            again_ms = static_cast<int>((due - now + 999) / 1000);
        } else {
            flush_batch(now);
        }
    }
    close_slow_peers();
    output_.flush();
    if (tick_us_ > 0) {
        // Busy: the next poll waits for the next tick, and this hook stays armed so that it
        // notices when the load is over.
        iteration_end_.hold_poll_until(last_flush_us_ + tick_us_);
        if (again_ms < 0)
            again_ms = static_cast<int>((tick_us_ + 999) / 1000);
    } else {
        iteration_end_.hold_poll_until(0);
    }
    return again_ms;
}

void WebSocketHub::flush_batch(std::int64_t now)
{
    last_flush_us_ = now;
    if (tick_us_ > 0)
        ++batches_;
    flush_held();
}

void WebSocketHub::measure_load(std::int64_t now)
{
    const std::int64_t elapsed = now - period_start_us_;
    if (elapsed < kRatePeriod)
        return;
    const std::uint64_t rate = period_chats_ * G_USEC_PER_SEC / static_cast<std::uint64_t>(elapsed);
    const std::int64_t longest = std::int64_t{settings_.batch_delay_ms} * 1000;
    if (rate < kBusyRate || longest == 0) {
        tick_us_ = 0;
    } else {
        const auto tick = static_cast<std::int64_t>(kBatchMessages * G_USEC_PER_SEC / rate);
        tick_us_ = std::min(longest, std::max(kMinTick, tick));
    }
    period_start_us_ = now;
    period_chats_ = 0;
}

void WebSocketHub::flush_held()
{
    if (flushing_)
        return;
    flushing_ = true;
    // Commit first: a chat message reaches nobody before it is durable.
    std::string error;
    const bool committed = !group_commit_.pending() || group_commit_.commit(error);
    auto chats = std::move(held_chats_);
    held_chats_.clear();
    // Frames sent while flushing (a peer that closes makes the registry tell the others) are
    // held behind these and flushed after them.
    while (!held_.empty()) {
        std::vector<Held> frames = std::move(held_);
        held_.clear();
        for (const Held &h : frames) {
            auto it = sessions_.find(h.to);
            if (it == sessions_.end())
                continue;
            if (!committed && h.chat)
                continue; // a chat message that is not stored is sent to no one
            if (h.close)
                close_now(h.to, h.close, *h.json);
            else
                send_now(*it->second, *h.json);
        }
    }
    flushing_ = false;
    if (!committed) {
        // What the registry says when a message cannot be stored, to each sender.
        for (auto &[chat, sender] : chats)
            registry_->refuse(
                sender, {group_commit_.full() ? protocol::ErrorCode::StorageFull
                                              : protocol::ErrorCode::StorageError,
                         "the message could not be stored, so it was not sent: " + error, "chat"});
    }
}

void WebSocketHub::on_frame(Session &s, SoupWebsocketDataType type, GBytes *bytes)
{
    if (s.gone)
        return;
    ++frames_in_;
    bytes_in_ += g_bytes_get_size(bytes);
    const std::int64_t now = g_get_monotonic_time();
    s.alive_us = now;
    using protocol::ErrorCode;
    const bool allowed = s.limiter.allow(now);
    if (type != SOUP_WEBSOCKET_DATA_TEXT) {
        if (allowed)
            registry_->refuse(
                s.id, {ErrorCode::BadMessage, "binary frames are not part of the protocol", ""});
        else
            refuse_rate(s, "");
        return;
    }
    gsize size = 0;
    const char *data = static_cast<const char *>(g_bytes_get_data(bytes, &size));
    if (size > protocol::kMaxMessageBytes) // (the meter stops such a message before libsoup)
        return refuse_too_large(s);
    auto result = parser_.parse(std::string_view(data, size));
    if (!allowed)
        refuse_rate(s, result.ok() ? protocol::type_name(result.message()) : result.error().re);
    else if (result.ok()) {
        handle(s, result.message());
        if (held_chats_.size() >= kMaxBatchMessages) {
            flush_batch(now);
            output_.flush();
        }
    } else
        registry_->refuse(s.id, result.error());
}

void WebSocketHub::handle(Session &s, const protocol::ClientMessage &message)
{
    // Group commit: a chat message stored here is committed with the others of this
    // iteration (or batch) at its end; the frames it causes are held until then (see send()).
    store::GroupCommit::Batch batch(group_commit_);
    const std::uint64_t before = group_commit_.appends();
    current_chat_ = before + 1;
    registry_->handle(s.id, message);
    if (group_commit_.appends() != before) {
        ++period_chats_;
        held_chats_.emplace_back(current_chat_, s.id);
        iteration_end_.arm();
    } else
        for (auto h = held_.rbegin(); h != held_.rend() && h->chat == current_chat_; ++h)
            h->chat = 0; // nothing was stored: these frames depend on no commit
    current_chat_ = 0;
}

void WebSocketHub::refuse_rate(Session &s, std::string_view re)
{
    registry_->refuse(s.id, {protocol::ErrorCode::RateLimited,
                             "too many messages: at most " + std::to_string(settings_.rate_limit) +
                                 " a second; this one was dropped",
                             std::string(re)});
}

void WebSocketHub::refuse_too_large(Session &s)
{
    ++too_large_closed_;
    registry_->refuse(s.id,
                      {protocol::ErrorCode::TooLarge, "a message has at most 65536 bytes", ""});
    if (!held_.empty()) // the error is held: the close goes after it
        hold(s.id, "message too large", 0, SOUP_WEBSOCKET_CLOSE_TOO_BIG);
    else
        soup_websocket_connection_close(s.connection.get(), SOUP_WEBSOCKET_CLOSE_TOO_BIG,
                                        "message too large");
}

void WebSocketHub::drop_slow(Session &s, const char *why)
{
    // Called while the registry may be walking a room's members: the registry hears of it at
    // the end of the iteration (close_slow_peers); from now on the peer gets nothing.
    if (s.gone)
        return;
    s.gone = true;
    s.dropping = true;
    ++slow_closed_;
    slow_.emplace_back(s.id, why);
    iteration_end_.arm();
}

void WebSocketHub::close_slow_peers()
{
    while (!slow_.empty()) {
        auto slow = std::move(slow_);
        slow_.clear();
        for (const auto &[id, why] : slow) {
            auto it = sessions_.find(id);
            if (it == sessions_.end())
                continue;
            Session &s = *it->second;
            g_message("peer %s %s; closing it", rooms::RoomRegistry::peer_name(id).c_str(), why);
            if (std::exchange(s.dropping, false))
                registry_->disconnect(id); // may drop others (their peer-left)
            SoupWebsocketConnection *c = s.connection.get();
            if (soup_websocket_connection_get_state(c) == SOUP_WEBSOCKET_STATE_OPEN)
                soup_websocket_connection_close(c, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, why);
        }
    }
}

void WebSocketHub::on_closed(Session &s)
{
    rooms::PeerId id = s.id;
    if (!s.gone || s.dropping)
        registry_->disconnect(id);
    sessions_.erase(id); // destroys s
}

void WebSocketHub::sweep()
{
    // libsoup pings at pings_from + k·interval. A peer has missed two pongs when two pings
    // went out after its last sign of life and the later one has had `grace` to come back.
    const std::int64_t interval = settings_.ping_interval * kSecond;
    const std::int64_t grace = std::min<std::int64_t>(5 * kSecond, interval);
    const std::int64_t now = g_get_monotonic_time();
    const std::int64_t send_timeout = settings_.send_timeout * kSecond;
    std::vector<Session *> dead;
    std::vector<Session *> stuck;
    for (auto &[id, s] : sessions_) {
        const std::int64_t since = loop::OutputBatch::stuck_since(s->stream.get());
        if (!s->gone && since > 0 && now - since >= send_timeout)
            stuck.push_back(s.get());
        if (s->gone || now - grace <= s->pings_from_us)
            continue;
        std::int64_t missed = (now - grace - s->pings_from_us) / interval -
                              (s->alive_us - s->pings_from_us) / interval;
        if (missed >= 2)
            dead.push_back(s.get());
    }
    for (Session *s : stuck)
        drop_slow(*s, "not reading: nothing sent for send_timeout");
    for (Session *s : dead) {
        if (s->gone)
            continue;
        g_message("peer %s stopped answering pings; dropping it",
                  rooms::RoomRegistry::peer_name(s->id).c_str());
        s->gone = true;
        registry_->disconnect(s->id);
        soup_websocket_connection_close(s->connection.get(), SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                        "no answer to pings");
    }
}

void WebSocketHub::schedule_room_list()
{
    // At most one `rooms` broadcast every 100 ms.
    if (room_list_timer_)
        return;
    const std::int64_t now = g_get_monotonic_time();
    const std::int64_t due = room_list_sent_us_ + 100 * 1000;
    guint delay_ms = now >= due ? 0 : static_cast<guint>((due - now + 999) / 1000);
    room_list_timer_.reset(g_timeout_add(
        delay_ms,
        [](gpointer self) -> gboolean {
            auto *hub = static_cast<WebSocketHub *>(self);
            (void)hub->room_list_timer_.release();
            hub->room_list_sent_us_ = g_get_monotonic_time();
            hub->registry_->broadcast_room_list();
            return G_SOURCE_REMOVE;
        },
        this));
}

void WebSocketHub::kick(rooms::PeerId peer, const char *reason)
{
    auto it = sessions_.find(peer);
    if (it == sessions_.end() || it->second->gone)
        return;
    it->second->gone = true;
    registry_->disconnect(peer);
    soup_websocket_connection_close(it->second->connection.get(), 4001, reason);
}

void WebSocketHub::close_all(gushort code, const char *reason)
{
    flush_held();
    for (auto &[id, s] : sessions_)
        if (soup_websocket_connection_get_state(s->connection.get()) == SOUP_WEBSOCKET_STATE_OPEN)
            soup_websocket_connection_close(s->connection.get(), code, reason);
}

} // namespace callbox::server
