// HttpServer: routes (/ws, /api/health, /api/rooms, static files), TLS and listening.
#include "server/http-server.hpp"

#include "protocol/encode.hpp"
#include "protocol/json-writer.hpp"
#include "server/http-headers.hpp"

namespace callbox::server {

HttpServer::HttpServer(WebSocketHub &hub, rooms::RoomRegistry &registry, StaticFiles files,
                       const MediaStatus &media)
    : hub_(hub), registry_(registry), files_(std::move(files)), media_(media),
      server_(
          adopt(SOUP_SERVER(g_object_new(SOUP_TYPE_SERVER, "server-header", "callbox ", nullptr)))),
      started_us_(g_get_monotonic_time())
{
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
        .member("calls", static_cast<std::uint64_t>(media_.call_count()))
        .end_object();
    respond_json(msg, SOUP_STATUS_OK, w.take());
}

void HttpServer::route(SoupServerMessage *msg, const char *path)
{
    add_security_headers(msg);
    const std::string_view p(path);
    if (p == "/api/health")
        return health(msg);
    if (p == "/api/status")
        return status(msg);
    if (p == "/api/rooms") {
        auto counts = registry_.room_counts();
        return respond_json(msg, SOUP_STATUS_OK, protocol::encode::rooms_document(counts));
    }
    files_.serve(msg, path);
}

void HttpServer::status(SoupServerMessage *msg)
{
    protocol::JsonWriter w;
    w.begin_object()
        .member("uptime_s", (g_get_monotonic_time() - started_us_) / G_USEC_PER_SEC)
        .member("connections", static_cast<std::uint64_t>(hub_.size()))
        .member("frames_in", hub_.frames_in())
        .member("frames_out", hub_.frames_out());
    w.key("rooms").begin_array();
    for (const auto &room : registry_.room_counts())
        w.begin_object()
            .member("name", std::string_view(room.name))
            .member("count", static_cast<std::uint64_t>(room.count))
            .end_object();
    w.end_array();
    media_.write(w);
    respond_json(msg, SOUP_STATUS_OK, w.end_object().take());
}

bool HttpServer::listen(const config::Config &config, std::string &error)
{
    SoupServer *server = server_.get();
    soup_server_add_handler(
        server, nullptr,
        [](SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *, gpointer self) {
            static_cast<HttpServer *>(self)->route(msg, path);
        },
        this, nullptr);
    soup_server_add_websocket_handler(
        server, "/ws", nullptr, nullptr,
        [](SoupServer *, SoupServerMessage *, const char *, SoupWebsocketConnection *connection,
           gpointer self) { static_cast<HttpServer *>(self)->hub_.accept(connection); },
        this, nullptr);

    SoupServerListenOptions options = static_cast<SoupServerListenOptions>(0);
    if (config.tls) {
        if (config.tls_certificate.empty()) {
            error = "TLS is on but no certificate is configured (set tls_certificate and "
                    "tls_key, or use --no-tls)";
            return false;
        }
        g_autoptr(GError) err = nullptr;
        g_autoptr(GTlsCertificate) cert = g_tls_certificate_new_from_files(
            config.tls_certificate.c_str(), config.tls_key.c_str(), &err);
        if (!cert) {
            error = "TLS certificate " + config.tls_certificate + ": " + err->message;
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

} // namespace callbox::server
