// Making GStreamer elements with errors a user can act on: a missing element names the
// Debian package that has it; pipeline files from pipelines/ are loaded with variables.
#pragma once

#include "config/media-settings.hpp"
#include "media/clock-pattern.hpp"
#include "media/gst-ptr.hpp"

#include <gst/gst.h>
#include <gst/video/video.h>

#include <map>
#include <string>
#include <vector>

namespace callbox::media {

using Variables = std::map<std::string, std::string>;

// The Debian package that ships GStreamer element `factory`.
std::string package_for(std::string_view factory);

// A new element (its floating reference sunk), or null with `error` naming the package to
// install.
ElementPtr make_element(const char *factory, const char *name, std::string &error);

// Keeps GstDeviceMonitor from loading device providers whose devices callboxd cannot open
// (PulseAudio, PipeWire, DeckLink: it reads microphones through ALSA and cameras through V4L2
// or libcamera): their plug-ins and libraries cost resident memory (about 2 MB) and threads.
// Call before the monitor starts.
void skip_unused_device_providers();

// Loads, off the main thread at start-up, what every call needs: the DTLS certificate (made
// by the first DTLS element of a process, 0.5–1.8 s) and the plug-ins of webrtcbin, its
// transport and the payloaders (the encoders were loaded by their trials), so a process's first
// call does not load them.
void warm_up_call_elements();

// The @VARIABLE@s every pipelines/ file may use, from the settings: WIDTH, HEIGHT,
// FRAMERATE, BITRATE, BITRATE_BPS, KEYINT, THREADS, VIDEO_DEVICE, AUDIO_DEVICE, AUDIO_SINK_DEVICE;
// ECHO_CANCEL, NOISE_SUPPRESSION, GAIN_CONTROL (true|false) for the voice processor; ROOM_DELAY_NS,
// ROOM_GAIN (linear) and ROOM_TALKER_VOLUME for the simulated room.
Variables pipeline_variables(const MediaSettings &settings);

// The pipelines/ file (without .pipeline) for a source or sink the config chose:
// "video-source-v4l2", "audio-sink-fake", ...
inline std::string source_file(config::VideoSource s)
{
    return "video-source-" + std::string(config::name(s));
}
inline std::string source_file(config::AudioSource s)
{
    return "audio-source-" + std::string(config::name(s));
}
inline std::string sink_file(config::VideoSink s)
{
    return "video-sink-" + std::string(config::name(s));
}
inline std::string sink_file(config::AudioSink s)
{
    return "audio-sink-" + std::string(config::name(s));
}

// The fixed pipelines/ files of voice processing: the microphone's processor (webrtcdsp) and
// the speaker's echo probe (webrtcechoprobe), which only work as a pair.
inline constexpr const char *kVoiceProcessingFile = "audio-voice-processing";
inline constexpr const char *kEchoProbeFile = "audio-echo-probe";

// Reads `dir/name.pipeline` (gst-launch syntax, # comments, @VARIABLE@s) into a bin with
// ghost pads; null with a message naming the file (and the package, for a missing element).
ElementPtr load_pipeline_file(const std::string &dir, const std::string &name,
                              const Variables &vars, std::string &error);
// The same for a file that is a source (a camera, a microphone, a placeholder, a picture): its
// bin gets no input. Ghosted, an element's optional input inside (textoverlay's text pad) would
// count as linked and change what the element does.
ElementPtr load_source_file(const std::string &dir, const std::string &name, const Variables &vars,
                            std::string &error);

// The planes of a mapped I420 frame, for the drawing code (clock pattern, QR code).
I420View i420_view(GstVideoFrame &frame);

// Checks that every element callbox's media path needs is installed.
bool check_required_elements(std::string &error);
// The elements of that list that are not installed.
std::vector<std::string> missing_required_elements();
// The package an error of make_element() or load_pipeline_file() names; empty when none.
std::string missing_package(const std::string &error);

} // namespace callbox::media
