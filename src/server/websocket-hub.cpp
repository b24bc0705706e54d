// WebSocketHub: sessions over libsoup WebSocket connections, wired to the RoomRegistry.
#include "server/websocket-hub.hpp"

namespace callbox::server
{

namespace
{

// How much larger than the protocol's limit a frame may be and still get a `too-large`
// error before the close; beyond it libsoup itself closes with 1009.
constexpr guint64 kReadLimit = 4 * protocol::kMaxMessageBytes;
constexpr std::int64_t kSecond = G_USEC_PER_SEC;

} // namespace

struct WebSocketHub::Session {
    WebSocketHub *hub;
    rooms::PeerId id;
    GObjectPtr<SoupWebsocketConnection> connection;
    RateLimiter limiter;
    std::int64_t pings_from_us; // when libsoup's keepalive pings started
    std::int64_t alive_us;      // the last frame or pong from the peer
    bool gone = false;          // dropped from the rooms; waiting for the socket to close

    Session(WebSocketHub *h, rooms::PeerId i, SoupWebsocketConnection *c, const HubSettings &s)
        : hub(h), id(i), connection(retain(c)), limiter(s.rate_limit, s.rate_window),
          pings_from_us(g_get_monotonic_time()), alive_us(pings_from_us)
    {
    }

    ~Session() { g_signal_handlers_disconnect_by_data(connection.get(), this); }
};

WebSocketHub::WebSocketHub(HubSettings settings) : settings_(settings)
{
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
    for (auto &[id, s] : sessions_)
        s->limiter.configure(settings.rate_limit, settings.rate_window);
}

void WebSocketHub::accept(SoupWebsocketConnection *connection)
{
    rooms::PeerId id = next_id_++;
    auto session = std::make_unique<Session>(this, id, connection, settings_);
    Session *s = session.get();
    sessions_.emplace(id, std::move(session));

    soup_websocket_connection_set_max_incoming_payload_size(connection, kReadLimit);
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
    registry_->connect(id);
}

void WebSocketHub::send(rooms::PeerId to, const std::string &json)
{
    auto it = sessions_.find(to);
    if (it == sessions_.end() || it->second->gone)
        return;
    SoupWebsocketConnection *c = it->second->connection.get();
    if (soup_websocket_connection_get_state(c) != SOUP_WEBSOCKET_STATE_OPEN)
        return;
    soup_websocket_connection_send_text(c, json.c_str());
    ++frames_out_;
}

void WebSocketHub::on_frame(Session &s, SoupWebsocketDataType type, GBytes *bytes)
{
    if (s.gone)
        return;
    ++frames_in_;
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
    if (size > protocol::kMaxMessageBytes) {
        registry_->refuse(s.id, {ErrorCode::TooLarge, "a message has at most 65536 bytes", ""});
        soup_websocket_connection_close(s.connection.get(), SOUP_WEBSOCKET_CLOSE_TOO_BIG,
                                        "message too large");
        return;
    }
    auto result = parser_.parse(std::string_view(data, size));
    if (!allowed)
        refuse_rate(s, result.ok() ? protocol::type_name(result.message()) : result.error().re);
    else if (result.ok())
        registry_->handle(s.id, result.message());
    else
        registry_->refuse(s.id, result.error());
}

void WebSocketHub::refuse_rate(Session &s, std::string_view re)
{
    registry_->refuse(s.id, {protocol::ErrorCode::RateLimited,
                             "too many messages: at most " + std::to_string(settings_.rate_limit) +
                                 " a second; this one was dropped",
                             std::string(re)});
}

void WebSocketHub::on_closed(Session &s)
{
    rooms::PeerId id = s.id;
    if (!s.gone)
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
    std::vector<Session *> dead;
    for (auto &[id, s] : sessions_) {
        if (s->gone || now - grace <= s->pings_from_us)
            continue;
        std::int64_t missed = (now - grace - s->pings_from_us) / interval -
                              (s->alive_us - s->pings_from_us) / interval;
        if (missed >= 2)
            dead.push_back(s.get());
    }
    for (Session *s : dead) {
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
    if (room_list_timer_.id)
        return;
    const std::int64_t now = g_get_monotonic_time();
    const std::int64_t due = room_list_sent_us_ + 100 * 1000;
    guint delay_ms = now >= due ? 0 : static_cast<guint>((due - now + 999) / 1000);
    room_list_timer_.reset(g_timeout_add(
        delay_ms,
        [](gpointer self) -> gboolean {
            auto *hub = static_cast<WebSocketHub *>(self);
            hub->room_list_timer_.release();
            hub->room_list_sent_us_ = g_get_monotonic_time();
            hub->registry_->broadcast_room_list();
            return G_SOURCE_REMOVE;
        },
        this));
}

void WebSocketHub::close_all(gushort code, const char *reason)
{
    for (auto &[id, s] : sessions_)
        if (soup_websocket_connection_get_state(s->connection.get()) == SOUP_WEBSOCKET_STATE_OPEN)
            soup_websocket_connection_close(s->connection.get(), code, reason);
}

} // namespace callbox::server
