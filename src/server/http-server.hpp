// HttpServer: the libsoup server — /ws, the JSON API and the web app, on one port.
#pragma once

#include "config/config.hpp"
#include "rooms/room-registry.hpp"
#include "server/admin-auth.hpp"
#include "server/media-control.hpp"
#include "server/request-limits.hpp"
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
               MediaControl &media, const config::Config &config);
    ~HttpServer();

    // Puts the keys that apply live in force: the admin password, body limits, back-off.
    void apply_config(const config::Config &config);

    // Listens where the config says; false with a message when it cannot.
    bool listen(const config::Config &config, std::string &error);
    std::vector<std::string> uris() const;
    // The address a phone opens: the listening port, on the bound address or else on the
    // machine's first LAN address (its .local name when it has none).
    std::string join_link() const;

private:
    void route(SoupServerMessage *msg, const char *path);
    void health(SoupServerMessage *msg);
    void status(SoupServerMessage *msg);
    // /admin, /api/status and /api/admin/... once the admin's credentials are accepted.
    void admin_route(SoupServerMessage *msg, std::string_view path);
    void admin_action(SoupServerMessage *msg, std::string_view action);
    void metrics(SoupServerMessage *msg);
    bool allowed_origin(SoupServerMessage *msg) const;
    // An admin request that changes something (any method but GET and HEAD) comes from the
    // device's own pages and carries JSON; false with 403 or 415 set when it does not.
    bool admin_write_allowed(SoupServerMessage *msg) const;

    WebSocketHub &hub_;
    rooms::RoomRegistry &registry_;
    StaticFiles files_;
    MediaControl &media_;
    std::string listen_; // as configured
    bool tls_ = false;
    AdminAuth admin_;
    RequestLimits limits_;
    GObjectPtr<SoupServer> server_;
    std::int64_t started_us_;
};

} // namespace callbox::server
