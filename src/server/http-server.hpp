// HttpServer: the libsoup server — /ws, the JSON API and the web app, on one port.
#pragma once

#include "config/config.hpp"
#include "rooms/room-registry.hpp"
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
};

class HttpServer
{
public:
    HttpServer(WebSocketHub &hub, rooms::RoomRegistry &registry, StaticFiles files,
               const MediaStatus &media);
    ~HttpServer();

    // Listens where the config says; false with a message when it cannot.
    bool listen(const config::Config &config, std::string &error);
    std::vector<std::string> uris() const;

private:
    void route(SoupServerMessage *msg, const char *path);
    void health(SoupServerMessage *msg);
    void status(SoupServerMessage *msg);

    WebSocketHub &hub_;
    rooms::RoomRegistry &registry_;
    StaticFiles files_;
    const MediaStatus &media_;
    GObjectPtr<SoupServer> server_;
    std::int64_t started_us_;
};

} // namespace callbox::server
