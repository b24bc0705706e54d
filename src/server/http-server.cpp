// HttpServer: routes (/ws, /api/health, /api/rooms, static files), TLS and listening.
#include "server/http-server.hpp"

#include "protocol/encode.hpp"
#include "protocol/json-reader.hpp"
#include "protocol/json-writer.hpp"
#include "server/http-headers.hpp"
#include "server/join-link.hpp"
#include "server/metrics.hpp"
#include "server/tls-identity.hpp"

namespace callbox::server {

namespace {

rooms::GuessPolicy guess_policy(const config::Config &c)
{
    return rooms::GuessPolicy{c.guess_free_tries, c.guess_max_wait, c.guess_budget_per_minute};
}

} // namespace

HttpServer::HttpServer(WebSocketHub &hub, rooms::RoomRegistry &registry, StaticFiles files,
                       MediaControl &media, const config::Config &config)
    : hub_(hub), registry_(registry), files_(std::move(files)), media_(media),
      admin_(config.admin_password_hash, guess_policy(config)),
      server_(
          adopt(SOUP_SERVER(g_object_new(SOUP_TYPE_SERVER, "server-header", "callbox ", nullptr)))),
      started_us_(g_get_monotonic_time())
{
    apply_config(config);
}

void HttpServer::apply_config(const config::Config &config)
{
    admin_.set_hash(config.admin_password_hash);
    admin_.set_policy(guess_policy(config));
    limits_.configure(BodyLimits{config.max_body_bytes, config.admin_max_body_bytes});
}

HttpServer::~HttpServer()
{
    if (server_)
        soup_server_disconnect(server_.get());
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
    add_security_headers(msg);
    const std::string_view p(path);
    if (p == "/api/health")
        return health(msg);
    if (p == "/api/rooms") {
        auto counts = registry_.room_counts();
        return respond_json(msg, SOUP_STATUS_OK, protocol::encode::rooms_document(counts));
    }
    if (p == "/metrics")
        return metrics(msg);
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
    respond_error(msg, SOUP_STATUS_NOT_FOUND, "no such admin action");
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
    respond_json(msg, SOUP_STATUS_OK, w.end_object().take());
}

bool HttpServer::listen(const config::Config &config, std::string &error)
{
    listen_ = config.listen;
    tls_ = config.tls;
    SoupServer *server = server_.get();
    limits_.attach(server);
    soup_server_add_handler(
        server, nullptr,
        [](SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *, gpointer self) {
            static_cast<HttpServer *>(self)->route(msg, path);
        },
        this, nullptr);
    soup_server_add_early_handler(
        server, "/ws",
        [](SoupServer *, SoupServerMessage *msg, const char *, GHashTable *, gpointer self) {
            if (!static_cast<HttpServer *>(self)->allowed_origin(msg))
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

    SoupServerListenOptions options = static_cast<SoupServerListenOptions>(0);
    if (config.tls) {
        TlsFiles files{config.tls_certificate, config.tls_key};
        if (files.certificate.empty() &&
            !ensure_self_signed(config.data_dir + "/tls", config.device_name, files, error))
            return false;
        g_autoptr(GError) err = nullptr;
        g_autoptr(GTlsCertificate) cert =
            g_tls_certificate_new_from_files(files.certificate.c_str(), files.key.c_str(), &err);
        if (!cert) {
            error = "TLS certificate " + files.certificate + ": " + err->message;
            return false;
        }
        soup_server_set_tls_certificate(server, cert);
        options = SOUP_SERVER_LISTEN_HTTPS;
    }

    g_autoptr(GError) err = nullptr;
    gboolean ok;
    if (config.listen == "::" || config.listen == "*") {
        ok = soup_server_listen_all(server, config.port, options, &err);
    } else {
        g_autoptr(GSocketAddress) address =
            g_inet_socket_address_new_from_string(config.listen.c_str(), config.port);
        if (!address) {
            error = "listen address '" + config.listen + "' is not an IP address";
            return false;
        }
        ok = soup_server_listen(server, address, options, &err);
    }
    if (!ok) {
        error = "cannot listen on " + config.listen + " port " + std::to_string(config.port) +
                ": " + err->message;
        return false;
    }
    return true;
}

std::vector<std::string> HttpServer::uris() const
{
    std::vector<std::string> out;
    GSList *list = soup_server_get_uris(server_.get());
    for (GSList *l = list; l; l = l->next) {
        GCharPtr text(g_uri_to_string(static_cast<GUri *>(l->data)));
        out.emplace_back(text.get());
        g_uri_unref(static_cast<GUri *>(l->data));
    }
    g_slist_free(list);
    return out;
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
