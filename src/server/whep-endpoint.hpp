// WhepEndpoint: WHEP (RFC 9725) over HTTP — POST /whep with an SDP offer starts a receive-only
// call with the device, PATCH /whep/<id> trickles candidates, DELETE /whep/<id> ends it.
#pragma once

#include "config/ice-settings.hpp"
#include "rooms/room-registry.hpp"
#include "server/media-control.hpp"

#include <libsoup/soup.h>

#include <string_view>

namespace callbox::server {

class WhepEndpoint
{
public:
    WhepEndpoint(MediaControl &media, rooms::RoomRegistry &registry)
        : media_(media), registry_(registry)
    {
    }
    // The STUN and TURN servers offered to viewers (Link headers of the 201).
    void set_ice(const config::IceSettings &ice) { ice_ = ice; }

    static bool handles(std::string_view path)
    {
        return path == "/whep" || path.starts_with("/whep/");
    }
    void handle(SoupServerMessage *msg, std::string_view path);

private:
    // The access code as the Bearer token, with the joins' back-off; false with the response set.
    bool authorized(SoupServerMessage *msg);
    void start(SoupServerMessage *msg);

    MediaControl &media_;
    rooms::RoomRegistry &registry_;
    config::IceSettings ice_;
};

} // namespace callbox::server
