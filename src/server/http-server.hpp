// HttpServer: the libsoup server — /ws, the JSON API and the web app, on one port.
#pragma once

#include "config/config.hpp"
#include "rooms/room-registry.hpp"
#include "server/admin-auth.hpp"
#include "server/static-files.hpp"
#include "server/websocket-hub.hpp"
#include "util/glib-ptr.hpp"

#include <libsoup/soup.h>

#include <string>
#include <vector>

namespace callbox::protocol {
class JsonWriter;
}

namespace callbox::server {

// What the HTTP API reports about media; the daemon plugs the media engine in here.
class MediaStatus
{
public:
    virtual ~MediaStatus() = default;
    virtual const char *state() const = 0; // "running" | "degraded" | "off"
    virtual std::size_t call_count() const = 0;
    // Writes the member "media":{..., "calls":[...]} into an open object.
    virtual void write(protocol::JsonWriter &w) const = 0;
    // Admin actions; false with a reason when they cannot be done.
    virtual bool set_muted(bool audio, bool video, std::string &error) = 0;
    // Writes {"cameras":[...],"microphones":[...]}.
    virtual void write_devices(protocol::JsonWriter &w) const = 0;
    virtual bool select_device(std::string_view kind, const std::string &id,
                               std::string &error) = 0;
    // Prometheus lines for the media part.
    virtual void write_metrics(std::string &out) const = 0;
};

class HttpServer
{
public:
    HttpServer(WebSocketHub &hub, rooms::RoomRegistry &registry, StaticFiles files,
               MediaStatus &media, std::string admin_password_hash);
    ~HttpServer();

    // Listens where the config says; false with a message when it cannot.
    bool listen(const config::Config &config, std::string &error);
    std::vector<std::string> uris() const;

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
    MediaStatus &media_;
    AdminAuth admin_;
    GObjectPtr<SoupServer> server_;
    std::int64_t started_us_;
};

} // namespace callbox::server
