// start_media(): the media part the config asks for — the device as a call peer in every room
// (GStreamer), or NoMedia when media is disabled or callboxd was built without it.
#pragma once

#include "config/config.hpp"
#include "rooms/room-registry.hpp"
#include "server/media-control.hpp"

#include <memory>
#include <string>
#include <vector>

namespace callbox::media {

// Registers the device with `registry` as a call peer (while the result lives, or until its
// shut_down()); its messages to browsers go to `outbox`. Null, with `error` naming both files,
// when the pipelines/ files the config chooses must be paired and are not.
std::unique_ptr<server::MediaControl> start_media(const config::Config &config,
                                                  rooms::Outbox &outbox,
                                                  rooms::RoomRegistry &registry,
                                                  std::string &error);

// callboxd --self-test: runs the self-test on `config`'s media settings, prints its table and
// returns the exit status (0: everything required works).
int run_self_test_command(const config::Config &config);

// callboxd --render-idle-text DIR -- WIDTH HEIGHT TEXT: the idle screen's helper (idle-text.hpp);
// `args` are the three after DIR. Returns the exit status.
int run_render_idle_text(const char *dir, const std::vector<std::string> &args);

} // namespace callbox::media
