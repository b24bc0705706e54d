// HttpServer: routes (/ws, /api/health, /api/rooms, static files), TLS and listening.
#include "server/http-server.hpp"

#include "protocol/encode.hpp"
#include "protocol/json-reader.hpp"
#include "protocol/json-writer.hpp"
#include "server/held-message.hpp"
#include "server/http-headers.hpp"
#include "server/join-link.hpp"
#include "server/metrics.hpp"
#include "server/tls-identity.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <memory>

namespace callbox::server {

namespace {

rooms::GuessPolicy guess_policy(const config::Config &c)
{
    return rooms::GuessPolicy{c.guess_free_tries, c.guess_max_wait, c.guess_budget_per_minute};
}

protocol::IceConfig ice_config(const config::IceSettings &ice, std::string_view who)
{
    protocol::IceConfig out{{}, ice.relay_only};
    for (auto &s : config::ice_servers(ice, who, g_get_real_time() / G_USEC_PER_SEC))
        out.servers.push_back({std::move(s.urls), std::move(s.username), std::move(s.credential)});
    return out;
}

} // namespace

HttpServer::HttpServer(WebSocketHub &hub, rooms::RoomRegistry &registry, StaticFiles files,
                       MediaControl &media, const config::Config &config)
    : hub_(hub), registry_(registry), files_(std::move(files)), media_(media),
      admin_(config.admin_password_hash, guess_policy(config)),
      server_(
          adopt(SOUP_SERVER(g_object_new(SOUP_TYPE_SERVER, "server-header", "callbox ", nullptr)))),
      started_us_(g_get_monotonic_time()), cancel_(adopt(g_cancellable_new())),
      whep_(media, registry)
{
    sfu_origin_ =
        origin_of(config.sfu_public_url.empty() ? config.sfu_janus_url : config.sfu_public_url);
    apply_config(config);
    // Only members who passed the access code see the servers (and the minted credentials).
    registry_.set_ice_source([this](std::string_view id) { return ice_config(ice_, id); });
}

void HttpServer::apply_config(const config::Config &config)
{
    admin_.set_hash(config.admin_password_hash);
    admin_.set_policy(guess_policy(config));
    request_limits_.configure(
        BodyLimits{config.max_body_bytes, config.admin_max_body_bytes, config.media.max_sdp_bytes});
    limits_ = ConnectionLimits{config.max_connections, config.max_connections_per_address,
                               config.max_connections_per_ipv6_prefix};
    idle_timeout_ = config.http_idle_timeout;
    ice_ = config.ice;
    media_.set_ice(ice_);
    whep_.set_ice(ice_);
}

HttpServer::~HttpServer()
{
    registry_.set_ice_source(nullptr);
    g_cancellable_cancel(cancel_.get()); // TLS handshakes under way call back no more
    if (service_) {
        g_socket_service_stop(service_.get());
        g_socket_listener_close(G_SOCKET_LISTENER(service_.get()));
    }
    if (server_)
        soup_server_disconnect(server_.get());
    for (auto &[connection, client] : open_)
        g_object_weak_unref(connection, &HttpServer::connection_gone, this);
}

void HttpServer::health(SoupServerMessage *msg)
{
    protocol::JsonWriter w;
    w.begin_object()
        .member("status", "ok")
        .member("uptime_s", (g_get_monotonic_time() - started_us_) / G_USEC_PER_SEC)
        .member("media", media_.state())
        .end_object();
    respond_json(msg, SOUP_STATUS_OK, w.take());
}

void HttpServer::route(SoupServerMessage *msg, const char *path)
{
    add_security_headers(msg, sfu_origin_);
    const std::string_view p(path);
    if (p == "/api/health")
        return health(msg);
    if (p == "/api/rooms") {
        auto counts = registry_.room_counts();
        return respond_json(msg, SOUP_STATUS_OK, protocol::encode::rooms_document(counts));
    }
    if (p == "/metrics")
        return metrics(msg);
    if (WhepEndpoint::handles(p))
        return whep_.handle(msg, p);
    if (p == "/admin" || p == "/admin/" || p == "/admin.html" || p == "/api/status" ||
        p.starts_with("/api/admin/")) {
        // Before the password: a foreign page's form POST costs no hashing.
        if (p.starts_with("/api/admin/") && !admin_write_allowed(msg))
            return;
        return admin_.check(
            msg, [this, p = std::string(p)](SoupServerMessage *m) { admin_route(m, p); });
    }
    files_.serve(msg, path);
}

void HttpServer::admit_request(SoupServerMessage *msg) const
{
    // One request per connection (a WebSocket handshake replaces the header with "Upgrade"):
    // libsoup 3.2.3 never frees a kept-alive connection that the client closes or that times
    // out between requests (fixed in libsoup 3.3.0, "server: do not leak idle connections closed
    // by the client"). Without a listener of its own libsoup closes each after its response.
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
                                 "close");
}

void HttpServer::admin_route(SoupServerMessage *msg, std::string_view p)
{
    if (p == "/api/status")
        return status(msg);
    if (p.starts_with("/api/admin/"))
        return admin_action(msg, p.substr(11));
    files_.serve(msg, "/admin.html");
}

bool HttpServer::allowed_origin(SoupServerMessage *msg) const
{
    // Browsers send Origin on WebSocket handshakes and on POSTs: a page from another site may
    // not use ours.
    auto *headers = soup_server_message_get_request_headers(msg);
    const char *origin = soup_message_headers_get_one(headers, "Origin");
    if (!origin)
        return true; // not a browser (tests, scripts, other clients)
    const char *host = soup_message_headers_get_one(headers, "Host");
    g_autoptr(GUri) uri = g_uri_parse(origin, G_URI_FLAGS_NONE, nullptr);
    if (!uri || !host || !g_uri_get_host(uri))
        return false;
    std::string expected = g_uri_get_host(uri);
    if (expected.find(':') != std::string::npos)
        expected = "[" + expected + "]"; // an IPv6 literal
    if (g_uri_get_port(uri) > 0)
        expected += ":" + std::to_string(g_uri_get_port(uri));
    return g_ascii_strcasecmp(expected.c_str(), host) == 0;
}

namespace {

void respond_error(SoupServerMessage *msg, guint status, std::string_view message)
{
    protocol::JsonWriter w;
    respond_json(msg, status, w.begin_object().member("error", message).end_object().take());
}

} // namespace

bool HttpServer::admin_write_allowed(SoupServerMessage *msg) const
{
    const char *method = soup_server_message_get_method(msg);
    if (method == SOUP_METHOD_GET || method == SOUP_METHOD_HEAD)
        return true;
    if (!allowed_origin(msg)) {
        respond_error(msg, SOUP_STATUS_FORBIDDEN,
                      "a page from another site may not use the admin API");
        return false;
    }
    const char *type = soup_message_headers_get_content_type(
        soup_server_message_get_request_headers(msg), nullptr);
    if (!type || g_ascii_strcasecmp(type, "application/json") != 0) {
        respond_error(msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                      "send the body as Content-Type: application/json");
        return false;
    }
    return true;
}

namespace {

// The JSON body of an admin POST, or nothing (with the response set) when it is unusable.
std::optional<protocol::JsonValue> json_body(SoupServerMessage *msg)
{
    if (soup_server_message_get_method(msg) != SOUP_METHOD_POST) {
        respond_json(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, R"({"error":"use POST"})");
        return std::nullopt;
    }
    SoupMessageBody *body = soup_server_message_get_request_body(msg);
    g_autoptr(GBytes) bytes = soup_message_body_flatten(body);
    gsize size = 0;
    const char *data = static_cast<const char *>(g_bytes_get_data(bytes, &size));
    std::string why;
    auto value = protocol::read_json(std::string_view(data ? data : "", size), why);
    if (!value || !value->is(protocol::JsonValue::Type::Object)) {
        respond_json(msg, SOUP_STATUS_BAD_REQUEST, R"({"error":"the body must be a JSON object"})");
        return std::nullopt;
    }
    return value;
}

} // namespace

void HttpServer::admin_action(SoupServerMessage *msg, std::string_view action)
{
    using Type = protocol::JsonValue::Type;
    if (action == "devices") {
        protocol::JsonWriter w;
        media_.write_devices(w);
        return respond_json(msg, SOUP_STATUS_OK, w.take());
    }
    auto body = json_body(msg);
    if (!body)
        return;
    std::string error;
    if (action == "kick") {
        const protocol::JsonValue *id = body->get("id");
        auto peer = id && id->is(Type::String) ? registry_.find_peer(id->string) : std::nullopt;
        if (!peer)
            return respond_error(msg, SOUP_STATUS_NOT_FOUND, "nobody is connected with that id");
        hub_.kick(*peer, "removed by the admin");
        return soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
    }
    if (action == "mute") {
        const protocol::JsonValue *audio = body->get("audio");
        const protocol::JsonValue *video = body->get("video");
        if (!audio || !audio->is(Type::Bool) || !video || !video->is(Type::Bool))
            return respond_error(msg, SOUP_STATUS_BAD_REQUEST,
                                 "send {\"audio\":true|false,\"video\":true|false}");
        if (!media_.set_muted(audio->boolean, video->boolean, error))
            return respond_error(msg, SOUP_STATUS_CONFLICT, error);
        return soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
    }
    if (action == "self-test")
        return self_test(msg);
    if (action == "echo-cancel") {
        const protocol::JsonValue *on = body->get("enabled");
        if (!on || !on->is(Type::Bool))
            return respond_error(msg, SOUP_STATUS_BAD_REQUEST, "send {\"enabled\":true|false}");
        if (!media_.set_echo_cancel(on->boolean, error))
            return respond_error(msg, SOUP_STATUS_CONFLICT, error);
        return soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
    }
    if (action == "device") {
        for (const char *kind : {"camera", "microphone"})
            if (const protocol::JsonValue *id = body->get(kind); id && id->is(Type::String)) {
                if (!media_.select_device(kind, id->string, error))
                    return respond_error(msg, SOUP_STATUS_CONFLICT, error);
                return soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
            }
        return respond_error(msg, SOUP_STATUS_BAD_REQUEST,
                             "send {\"camera\":\"<id>\"} or {\"microphone\":\"<id>\"}");
    }
    if (action == "large") {
        const protocol::JsonValue *room = body->get("room");
        const protocol::JsonValue *large = body->get("large");
        if (!room || !room->is(Type::String) || !large || !large->is(Type::Bool))
            return respond_error(msg, SOUP_STATUS_BAD_REQUEST,
                                 "send {\"room\":\"<name>\",\"large\":true|false}");
        if (!sfu_)
            return respond_error(msg, SOUP_STATUS_CONFLICT, "the SFU hand-off is not running");
        if (!sfu_->set_large(room->string, large->boolean, error))
            return respond_error(msg, SOUP_STATUS_NOT_FOUND, error);
        return soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
    }
    respond_error(msg, SOUP_STATUS_NOT_FOUND, "no such admin action");
}

bool HttpServer::load_certificate(TlsFiles files, std::string &error)
{
    bool renewed = false;
    if (own_certificate_ &&
        !ensure_self_signed(tls_dir_, device_name_, files, error, renew_days_, 0, &renewed))
        return false;
    g_autoptr(GError) err = nullptr;
    GObjectPtr<GTlsCertificate> certificate =
        adopt(g_tls_certificate_new_from_files(files.certificate.c_str(), files.key.c_str(), &err));
    if (!certificate) {
        error = "TLS certificate " + files.certificate + ": " + err->message;
        return false;
    }
    certificate_ = std::move(certificate);
    GByteArray *der = nullptr;
    g_object_get(certificate_.get(), "certificate", &der, nullptr);
    if (der) {
        tls_fingerprint_ = sha256_fingerprint(der->data, der->len);
        g_byte_array_unref(der);
    }
    return true;
}

void HttpServer::check_clock()
{
    const std::int64_t wall = g_get_real_time();
    const std::int64_t mono = g_get_monotonic_time();
    const std::int64_t jump = (wall - last_wall_us_) - (mono - last_mono_us_);
    last_wall_us_ = wall;
    last_mono_us_ = mono;
    const bool jumped = jump > kClockJumpUs || jump < -kClockJumpUs;
    if (jumped)
        g_message("the wall clock jumped by %" G_GINT64_FORMAT " s", jump / G_USEC_PER_SEC);
    if (!own_certificate_ ||
        (!jumped && mono - last_renewal_check_us_ < std::int64_t{3600} * G_USEC_PER_SEC))
        return;
    last_renewal_check_us_ = mono;
    const std::string before = tls_fingerprint_;
    std::string error;
    if (!load_certificate({}, error))
        g_warning("TLS: keeping the certificate in use: %s", error.c_str());
    else if (tls_fingerprint_ != before)
        g_message("TLS: now serving the new certificate %s", tls_fingerprint_.c_str());
}

void HttpServer::self_test(SoupServerMessage *msg)
{
    // The answer comes when the test is done (about 15 s): the request waits, paused. A client
    // that goes away meanwhile gets nothing.
    auto held = std::make_shared<HeldMessage>(msg);
    std::string error;
    const bool started = media_.run_self_test(
        [held](std::string json) {
            if (held->gone())
                return;
            respond_json(held->get(), SOUP_STATUS_OK, json);
            held->finish();
        },
        error);
    if (!started)
        return respond_error(msg, SOUP_STATUS_CONFLICT, error);
    held->hold();
}

void HttpServer::metrics(SoupServerMessage *msg)
{
    std::string out;
    std::size_t browsers = 0;
    for (const auto &room : registry_.room_counts())
        browsers += room.count;
    append_metric(out, "callbox_uptime_seconds", "gauge", "Seconds since callboxd started.",
                  (g_get_monotonic_time() - started_us_) / G_USEC_PER_SEC);
    append_metric(out, "callbox_connections", "gauge", "Open WebSocket connections.", hub_.size());
    append_metric(out, "callbox_rooms", "gauge", "Rooms with at least one browser.",
                  registry_.room_count());
    append_metric(out, "callbox_browsers_in_rooms", "gauge", "Browsers in a room.", browsers);
    append_metric(out, "callbox_messages_received_total", "counter", "WebSocket frames received.",
                  hub_.frames_in());
    append_metric(out, "callbox_messages_sent_total", "counter", "WebSocket frames sent.",
                  hub_.frames_out());
    append_metric(out, "callbox_received_bytes_total", "counter",
                  "WebSocket payload bytes received.", hub_.bytes_in());
    append_metric(out, "callbox_sent_bytes_total", "counter", "WebSocket payload bytes sent.",
                  hub_.bytes_out());
    append_metric(out, "callbox_socket_writes_total", "counter",
                  "Writes to WebSocket sockets (one carries every frame of a main-loop iteration).",
                  hub_.socket_writes());
    append_metric(out, "callbox_tcp_connections", "gauge",
                  "Open TCP connections (HTTP and WebSocket) counted against max_connections.",
                  connections());
    append_metric(out, "callbox_connections_refused_total", "counter",
                  "Connections closed at once because a connection limit was reached.",
                  connections_refused());
    append_metric(out, "callbox_slow_peers_closed_total", "counter",
                  "WebSocket peers closed (1008) because they did not read what was sent.",
                  hub_.slow_peers_closed());
    append_metric(out, "callbox_too_large_closed_total", "counter",
                  "WebSocket peers closed (1009) for a message over 65,536 bytes.",
                  hub_.too_large_closed());
    append_metric(out, "callbox_chat_batch_milliseconds", "gauge",
                  "Length of a chat batch under heavy load; 0 while not batching.",
                  hub_.batch_ms());
    append_metric(out, "callbox_chat_batches_total", "counter",
                  "Chat batches flushed under heavy load.", hub_.batches());
    media_.write_metrics(out);
    soup_server_message_set_response(msg, "text/plain; version=0.0.4; charset=utf-8",
                                     SOUP_MEMORY_COPY, out.data(), out.size());
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
}

void HttpServer::status(SoupServerMessage *msg)
{
    protocol::JsonWriter w;
    w.begin_object()
        .member("uptime_s", (g_get_monotonic_time() - started_us_) / G_USEC_PER_SEC)
        .member("connections", static_cast<std::uint64_t>(hub_.size()))
        .member("frames_in", hub_.frames_in())
        .member("frames_out", hub_.frames_out());
    w.member("device_name", std::string_view(registry_.settings().device_name));
    if (!tls_fingerprint_.empty())
        w.member("tls_fingerprint", std::string_view(tls_fingerprint_));
    w.key("rooms").begin_array();
    for (const auto &room : registry_.room_counts()) {
        w.begin_object()
            .member("name", std::string_view(room.name))
            .member("count", static_cast<std::uint64_t>(room.count));
        w.key("members").begin_array();
        for (const auto &m : registry_.room_members(room.name))
            w.begin_object().member("id", m.id).member("nick", m.nick).end_object();
        w.end_array().end_object();
    }
    w.end_array();
    media_.write(w);
    if (sfu_)
        sfu_->write(w);
    respond_json(msg, SOUP_STATUS_OK, w.end_object().take());
}

bool HttpServer::listen(const config::Config &config, std::string &error)
{
    listen_ = config.listen;
    tls_ = config.tls;
    SoupServer *server = server_.get();
    request_limits_.attach(server);
    soup_server_add_handler(
        server, nullptr,
        [](SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *, gpointer self) {
            static_cast<HttpServer *>(self)->route(msg, path);
        },
        this, nullptr);
    // Early handlers run once the headers are in, before libsoup reads a body.
    soup_server_add_early_handler(
        server, nullptr,
        [](SoupServer *, SoupServerMessage *msg, const char *, GHashTable *, gpointer self) {
            static_cast<HttpServer *>(self)->admit_request(msg);
        },
        this, nullptr);
    soup_server_add_early_handler(
        server, "/ws",
        [](SoupServer *, SoupServerMessage *msg, const char *, GHashTable *, gpointer self) {
            auto *http = static_cast<HttpServer *>(self);
            http->admit_request(msg);
            if (!http->allowed_origin(msg))
                respond_text(msg, SOUP_STATUS_FORBIDDEN,
                             "This page may not use the device's WebSocket (foreign Origin).\n");
        },
        this, nullptr);
    soup_server_add_handler(
        server, "/ws",
        [](SoupServer *, SoupServerMessage *msg, const char *, GHashTable *, gpointer self) {
            static_cast<HttpServer *>(self)->hub_.upgrade(msg);
        },
        this, nullptr);

    if (config.tls) {
        own_certificate_ = config.tls_certificate.empty();
        tls_dir_ = config.data_dir + "/tls";
        device_name_ = config.device_name;
        renew_days_ = config.tls_renew_days;
        TlsFiles files{config.tls_certificate, config.tls_key};
        if (!load_certificate(files, error))
            return false;
        // A board without a real-time clock jumps when NTP syncs: each minute, a jump of the
        // wall clock against the monotonic one (or an hour gone by) checks the certificate.
        clock_check_.reset(g_timeout_add_seconds(
            60,
            [](gpointer self) -> gboolean {
                static_cast<HttpServer *>(self)->check_clock();
                return G_SOURCE_CONTINUE;
            },
            this));
        last_wall_us_ = g_get_real_time();
        last_mono_us_ = g_get_monotonic_time();
    }

    // callboxd accepts the connections itself and hands each to libsoup once it is admitted
    // (and its TLS handshake is done): a refusal costs an accept() and a close(), no more.
    service_ = adopt(g_socket_service_new());
    auto *listener = G_SOCKET_LISTENER(service_.get());
    g_socket_listener_set_backlog(listener, 128); // GLib's 10 drops SYNs in a burst
    g_autoptr(GError) err = nullptr;
    guint16 port = static_cast<guint16>(config.port);
    bool ok;
    std::vector<std::string> hosts;
    if (config.listen == "::" || config.listen == "*") {
        if (port == 0) {
            port = g_socket_listener_add_any_inet_port(listener, nullptr, &err);
            ok = port != 0;
        } else {
            ok = g_socket_listener_add_inet_port(listener, port, nullptr, &err);
        }
        hosts = {"[::]", "0.0.0.0"};
    } else {
        g_autoptr(GSocketAddress) address =
            g_inet_socket_address_new_from_string(config.listen.c_str(), config.port);
        if (!address) {
            error = "listen address '" + config.listen + "' is not an IP address";
            return false;
        }
        g_autoptr(GSocketAddress) bound = nullptr;
        ok = g_socket_listener_add_address(listener, address, G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_TCP, nullptr, &bound, &err);
        if (ok)
            port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
        hosts = {config.listen.find(':') != std::string::npos ? "[" + config.listen + "]"
                                                              : config.listen};
    }
    if (!ok) {
        error = "cannot listen on " + config.listen + " port " + std::to_string(config.port) +
                ": " + err->message;
        return false;
    }
    for (const std::string &host : hosts)
        uris_.push_back(std::string(config.tls ? "https" : "http") + "://" + host + ":" +
                        std::to_string(port) + "/");
    g_signal_connect(service_.get(), "incoming",
                     G_CALLBACK(+[](GSocketService *, GSocketConnection *connection, GObject *,
                                    HttpServer *self) -> gboolean {
                         self->incoming(connection);
                         return TRUE;
                     }),
                     this);
    g_socket_service_start(service_.get());
    return true;
}

void HttpServer::incoming(GSocketConnection *connection)
{
    GSocket *socket = g_socket_connection_get_socket(connection);
    g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address(connection, nullptr);
    g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address(connection, nullptr);
    if (!remote || !local || !G_IS_INET_SOCKET_ADDRESS(remote)) {
        g_socket_close(socket, nullptr);
        return;
    }
    auto client =
        ConnectionGate::client_of(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote)));
    const ConnectionGate::Verdict verdict = gate_.admit(client, limits_);
    if (verdict != ConnectionGate::Verdict::Admitted) {
        g_socket_close(socket, nullptr); // before a byte is read: no TLS, no HTTP
        note_refusal(client, verdict);
        return;
    }
    // Counted until the connection object goes: an HTTP connection when libsoup lets it go, a
    // WebSocket when the hub has closed it.
    open_.emplace(G_OBJECT(connection), std::move(client));
    g_object_weak_ref(G_OBJECT(connection), &HttpServer::connection_gone, this);
    g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, TRUE, nullptr);
    // Until it becomes a WebSocket (WebSocketHub::complete_upgrade), a connection that stays
    // silent this long is closed: its sources fire and its reads fail with "timed out".
    g_socket_set_timeout(socket, idle_timeout_);
    if (!certificate_) {
        hand_over(G_IO_STREAM(connection), local, remote);
        return;
    }
    g_autoptr(GError) err = nullptr;
    GIOStream *tls = g_tls_server_connection_new(G_IO_STREAM(connection), certificate_.get(), &err);
    if (!tls)
        return; // the connection goes with the caller's reference
    g_object_set(tls, "require-close-notify", FALSE, nullptr);
    struct Handshake {
        HttpServer *server;
        GObjectPtr<GSocketAddress> local, remote;
    };
    g_tls_connection_handshake_async(
        G_TLS_CONNECTION(tls), G_PRIORITY_DEFAULT, cancel_.get(),
        [](GObject *source, GAsyncResult *result, gpointer data) {
            std::unique_ptr<Handshake> h(static_cast<Handshake *>(data));
            GObjectPtr<GIOStream> tls = adopt(G_IO_STREAM(source));
            // A failed or stalled handshake (the idle timeout) drops the connection.
            if (g_tls_connection_handshake_finish(G_TLS_CONNECTION(source), result, nullptr))
                h->server->hand_over(tls.get(), h->local.get(), h->remote.get());
        },
        new Handshake{this, retain(local), retain(remote)});
}

void HttpServer::hand_over(GIOStream *stream, GSocketAddress *local, GSocketAddress *remote)
{
    soup_server_accept_iostream(server_.get(), stream, local, remote, nullptr);
}

void HttpServer::note_refusal(const ConnectionGate::Client &client, ConnectionGate::Verdict why)
{
    // One log line per 10 s at most: a flood must not fill the journal.
    ++refused_;
    ++refusals_unlogged_;
    const std::int64_t now = g_get_monotonic_time();
    if (now - refusal_logged_us_ < 10 * G_USEC_PER_SEC)
        return;
    g_message("refused a connection from %s: %s (%" G_GUINT64_FORMAT " refused since the last "
              "such message)",
              client.text.c_str(), describe(why), refusals_unlogged_);
    refusal_logged_us_ = now;
    refusals_unlogged_ = 0;
}

void HttpServer::connection_gone(gpointer data, GObject *connection)
{
    auto *self = static_cast<HttpServer *>(data);
    auto it = self->open_.find(connection);
    if (it == self->open_.end())
        return;
    self->gate_.release(it->second);
    self->open_.erase(it);
}

std::vector<std::string> HttpServer::uris() const
{
    return uris_;
}

std::string HttpServer::join_link() const
{
    int port = 0;
    const auto all = uris();
    if (!all.empty())
        if (g_autoptr(GUri) uri = g_uri_parse(all.front().c_str(), G_URI_FLAGS_NONE, nullptr))
            port = g_uri_get_port(uri);
    return server::join_link(listen_, tls_, port);
}

} // namespace callbox::server
