// HttpServer: the libsoup server — /ws, the JSON API and the web app, on one port.
#pragma once

#include "config/config.hpp"
#include "rooms/room-registry.hpp"
#include "server/admin-auth.hpp"
#include "server/media-control.hpp"
#include "server/static-files.hpp"
#include "server/websocket-hub.hpp"
#include "util/glib-ptr.hpp"

#include <libsoup/soup.h>

#include <string>
#include <vector>

namespace callbox::server {

class HttpServer
{
public:
    HttpServer(WebSocketHub &hub, rooms::RoomRegistry &registry, StaticFiles files,
               MediaControl &media, std::string admin_password_hash);
    ~HttpServer();

    // Listens where the config says; false with a message when it cannot.
    bool listen(const config::Config &config, std::string &error);
    std::vector<std::string> uris() const;
    // The address a phone opens: the listening port, on the bound address or else on the
    // machine's first LAN address (its .local name when it has none).
    std::string join_link() const;
    // The SHA-256 fingerprint of the certificate it serves ("AB:CD:…"; empty without TLS).
    const std::string &tls_fingerprint() const { return tls_fingerprint_; }

private:
    void route(SoupServerMessage *msg, const char *path);
    void health(SoupServerMessage *msg);
    void status(SoupServerMessage *msg);
    void admin_action(SoupServerMessage *msg, std::string_view action);
    void metrics(SoupServerMessage *msg);
    bool allowed_origin(SoupServerMessage *msg) const;

public:
    AdminAuth &admin_auth() { return admin_; }

private:
    WebSocketHub &hub_;
    rooms::RoomRegistry &registry_;
    StaticFiles files_;
    MediaControl &media_;
    std::string listen_; // as configured
    bool tls_ = false;
    std::string tls_fingerprint_;
    AdminAuth admin_;
    GObjectPtr<SoupServer> server_;
    std::int64_t started_us_;
};

} // namespace callbox::server
