// The device's self-test: opens the camera, the microphone, the speaker, the screen and each
// encoder for a few seconds, plays a tone and listens for it, and reports each check as a row —
// what works, what it chose, what is missing and which Debian package provides it.
#pragma once

#include "config/media-settings.hpp"

#include <string>
#include <vector>

namespace callbox::protocol {
class JsonWriter;
}

namespace callbox::media {

struct SelfTestRow {
    std::string check;    // "camera", "microphone", "H.264 encoder x264", ...
    std::string result;   // "ok", "FAILED", "missing", "skipped"
    bool required = true; // a required row that is not ok fails the self-test
    std::string chose;    // what the device uses for it
    std::string detail;   // what was seen, or why it failed
    std::string package;  // the Debian package that provides what is missing
    bool ok() const { return result == "ok" || result == "skipped"; }
};

struct SelfTestReport {
    std::vector<SelfTestRow> rows;
    bool ok() const; // every required row ok (or skipped)
    std::string table() const;
    // {"ok":bool,"rows":[{"check","result","required","chose","detail","package"}]}
    void write(protocol::JsonWriter &w) const;
};

// The tone the speaker plays, and the one the test microphone makes (pipelines/
// audio-source-test.pipeline): the detector must hear the second and not mistake it for the
// first.
inline constexpr double kSpeakerToneHz = 1000;
inline constexpr double kTestMicrophoneHz = 440;

// The share of `samples`' energy at `hz` (Goertzel), 0 to 1: about 1 for a pure tone at `hz`,
// about 0 for silence or other tones.
double tone_share(const std::vector<float> &samples, double rate, double hz);

// Runs every check (about ten seconds); blocks, so run it off the main loop in the daemon.
// Uses the devices: nothing else may hold the camera or the microphone meanwhile.
SelfTestReport run_self_test(const MediaSettings &settings);

} // namespace callbox::media
