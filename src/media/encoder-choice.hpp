// The H.264 encoder that calls use, and trial runs of encoders: the configured one first, then
// the others in `auto`'s order (the Pi 4's hardware encoder, then x264); one that is missing or
// fails to encode a few frames is passed over, and the log says so.
#pragma once

#include "config/media-settings.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace callbox::media {

struct EncoderTrial {
    bool ok = false;
    std::uint64_t frames_out = 0; // encoded buffers that came out
    std::string detail;           // what happened, for the self-test's table
    std::string package;          // the Debian package to install when an element is missing
};

// Encodes `frames` frames of the self-test pattern (or, for an audio encoder, as many 10 ms
// buffers of tone) through the pipelines/ file `file` at the configured size; ok when encoded
// buffers come out and the stream ends without an error.
EncoderTrial trial_encode(const MediaSettings &settings, const std::string &file, unsigned frames);

struct H264Choice {
    std::string file;    // "video-encoder-x264", ...; empty when none works
    std::string summary; // "x264 (v4l2h264 passed over: ...)"
};

// The H.264 encoders to try, in order: the configured choice, then auto's order.
std::vector<config::VideoEncoder> h264_candidates(config::VideoEncoder configured);

// The first candidate whose elements exist; hardware encoders (and all of them when
// `trial_every_encoder`) must also pass trial_encode().
H264Choice choose_h264_encoder(const MediaSettings &settings, bool trial_every_encoder = false);

inline std::string encoder_file(config::VideoEncoder e)
{
    return "video-encoder-" + std::string(config::name(e));
}

} // namespace callbox::media
