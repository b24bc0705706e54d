// start_media() for a callboxd built without GStreamer: media is always off.
#include "media/device-media.hpp"

namespace callbox::media {

std::unique_ptr<server::MediaControl> start_media(const config::Config &, rooms::Outbox &,
                                                  rooms::RoomRegistry &, std::string &)
{
    return std::make_unique<server::NoMedia>();
}

} // namespace callbox::media
