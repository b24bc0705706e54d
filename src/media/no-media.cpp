// start_media() for a callboxd built without GStreamer: media is always off.
#include "media/device-media.hpp"

#include <cstdio>

namespace callbox::media {

std::unique_ptr<server::MediaControl> start_media(const config::Config &, rooms::Outbox &,
                                                  rooms::RoomRegistry &, std::string &)
{
    return std::make_unique<server::NoMedia>();
}

int run_self_test_command(const config::Config &)
{
    std::fprintf(stderr, "callboxd: built without GStreamer: there is no media to test\n");
    return 1;
}

int run_render_idle_text(const char *, const std::vector<std::string> &)
{
    std::fprintf(stderr, "callboxd: built without GStreamer: there is no idle screen\n");
    return 1;
}

} // namespace callbox::media
