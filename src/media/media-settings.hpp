// MediaSettings: the [media] part of the config as the media code uses it.
#pragma once

#include <string>
#include <vector>

namespace callbox::media {

struct MediaSettings {
    std::string pipelines_dir;
    std::string video_source = "auto"; // auto | test | v4l2
    std::string video_device = "/dev/video0";
    std::string audio_source = "auto"; // auto | test | alsa
    std::string audio_device = "default";
    std::string video_sink = "fake"; // fake | kms | auto
    std::string audio_sink = "fake"; // fake | alsa | auto
    std::string audio_sink_device = "default";
    std::string video_encoder = "auto"; // auto | x264 | v4l2h264
    unsigned width = 1280;
    unsigned height = 720;
    unsigned framerate = 30;
    unsigned video_bitrate = 1500; // kbit/s
    unsigned jitter_ms = 50;
    unsigned max_calls = 6;
    std::string clock_pattern = "auto";     // auto (test source only) | on | off
    std::string encoders = "shared";        // shared | per-call (the naive way, for benchmarks)
    std::vector<std::string> ice_addresses; // empty: every address libnice finds
    bool audio_muted = false;
    bool video_muted = false;
};

} // namespace callbox::media
