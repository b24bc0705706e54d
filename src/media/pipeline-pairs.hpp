// Pipeline files that only work together (a source with its sink, the echo canceller with its
// probe): checked when media starts and before a microphone switch, with an error naming both.
#pragma once

#include "config/media-settings.hpp"

#include <optional>
#include <string>
#include <vector>

namespace callbox::media {

// The partners a pipelines/ file declares with "# pair: <file>" comment lines (names without
// .pipeline); empty when the file declares none or cannot be read.
std::vector<std::string> declared_pairs(const std::string &dir, const std::string &name);

// Why the audio files `settings` chooses (sources resolved) do not fit together, or nothing:
// a file whose declared partner is not the file the config uses in that role ("audio-sink-..."
// is the one [media] audio_sink names), and, when the microphone has a voice processor, a
// webrtcdsp whose probe= does not name the webrtcechoprobe of the probe file. Needs gst_init().
std::optional<std::string> check_pairs(const MediaSettings &settings);

} // namespace callbox::media
