// MediaSettings: the [media] part of the config, with each choice an enum parsed once.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace callbox::config {

enum class VideoSource { Auto, Test, V4l2, Libcamera };
enum class AudioSource { Auto, Test, Alsa, Room }; // room: the simulated room (tests)
enum class VideoSink { Fake, Kms, Auto };
enum class AudioSink { Fake, Alsa, Auto, Room };
enum class VideoEncoder { Auto, X264, V4l2H264 };
enum class ClockPattern { Auto, On, Off }; // auto: on the test source only
enum class Encoders { Shared, PerCall };   // per-call: the naive way, for benchmarks
enum class EchoCancel { Auto, On, Off };   // auto: on with a speaker and a microphone

// The config's word for each value of a choice, in the enum's order; the pipelines/ files
// are named after them (video-source-v4l2.pipeline, audio-sink-alsa.pipeline, ...).
template <typename E> struct Choices;
template <> struct Choices<VideoSource> {
    static constexpr std::array<std::string_view, 4> names{"auto", "test", "v4l2", "libcamera"};
};
template <> struct Choices<AudioSource> {
    static constexpr std::array<std::string_view, 4> names{"auto", "test", "alsa", "room"};
};
template <> struct Choices<VideoSink> {
    static constexpr std::array<std::string_view, 3> names{"fake", "kms", "auto"};
};
template <> struct Choices<AudioSink> {
    static constexpr std::array<std::string_view, 4> names{"fake", "alsa", "auto", "room"};
};
template <> struct Choices<VideoEncoder> {
    static constexpr std::array<std::string_view, 3> names{"auto", "x264", "v4l2h264"};
};
template <> struct Choices<ClockPattern> {
    static constexpr std::array<std::string_view, 3> names{"auto", "on", "off"};
};
template <> struct Choices<Encoders> {
    static constexpr std::array<std::string_view, 2> names{"shared", "per-call"};
};
template <> struct Choices<EchoCancel> {
    static constexpr std::array<std::string_view, 3> names{"auto", "on", "off"};
};

template <typename E> constexpr std::string_view name(E value)
{
    return Choices<E>::names[static_cast<std::size_t>(value)];
}

template <typename E> std::optional<E> parse_choice(std::string_view text)
{
    for (std::size_t i = 0; i < Choices<E>::names.size(); ++i)
        if (Choices<E>::names[i] == text)
            return static_cast<E>(i);
    return std::nullopt;
}

struct MediaSettings {
    std::string pipelines_dir;
    VideoSource video_source = VideoSource::Auto;
    std::string video_device = "/dev/video0";
    AudioSource audio_source = AudioSource::Auto;
    std::string audio_device = "default";
    VideoSink video_sink = VideoSink::Fake;
    AudioSink audio_sink = AudioSink::Fake;
    std::string audio_sink_device = "default";
    VideoEncoder video_encoder = VideoEncoder::Auto;
    unsigned width = 1280;
    unsigned height = 720;
    unsigned framerate = 30;
    unsigned video_bitrate = 1500;    // kbit/s
    unsigned min_video_bitrate = 150; // kbit/s: the floor while every caller is constrained
    unsigned low_video_bitrate = 300; // kbit/s: the half-size layer constrained calls move to
    unsigned encoder_threads = 0;     // x264's threads; 0: the machine's cores, at most 4
    unsigned jitter_ms = 50;
    unsigned max_calls = 6;
    unsigned whep_connect_timeout = 30; // s a WHEP viewer has to connect before its call ends
    unsigned max_sdp_bytes = 16384;     // a larger offer to the device is bad-message
    unsigned max_ice_candidates = 64;   // a call's remote candidates; later ones are dropped
    ClockPattern clock_pattern = ClockPattern::Auto;
    Encoders encoders = Encoders::Shared;
    std::vector<std::string> ice_addresses; // empty: every address libnice finds
    bool audio_muted = false;
    bool video_muted = false;
    // A camera or microphone that fails mid-call: the first retry after this, doubling up to
    // the maximum; a source that delivers nothing for capture_stall_ms counts as failed.
    unsigned capture_retry_ms = 500;
    unsigned capture_retry_max_ms = 2000;
    unsigned capture_stall_ms = 800;
    EchoCancel echo_cancel = EchoCancel::Auto;
    bool noise_suppression = true;
    bool gain_control = true;
    unsigned room_delay_ms = 60; // the simulated room: speaker → microphone delay
    unsigned room_loss_db = 10;  // ... and its loss
    bool room_talker = true;     // ... and a near-end talker in it
    ClockPattern audio_clock = ClockPattern::Auto; // auto: on the test microphone only
};

// A microphone in a room (ALSA, or the simulated room), not the built-in test tone. Sources
// must be resolved (no `auto`) for this and what follows.
inline bool captures_microphone(const MediaSettings &s)
{
    return s.audio_source == AudioSource::Alsa || s.audio_source == AudioSource::Room;
}

// Whether the microphone's audio goes through echo cancellation: `on`, or `auto` with a
// speaker (any sink but fake) and a microphone.
inline bool echo_cancel_active(const MediaSettings &s)
{
    if (s.echo_cancel != EchoCancel::Auto)
        return s.echo_cancel == EchoCancel::On;
    return s.audio_sink != AudioSink::Fake && captures_microphone(s);
}

// Whether the microphone path has a voice processor (webrtcdsp) at all: for echo
// cancellation, or for noise suppression and gain control of a real microphone.
inline bool voice_processing(const MediaSettings &s)
{
    return echo_cancel_active(s) ||
           (captures_microphone(s) && (s.noise_suppression || s.gain_control));
}

} // namespace callbox::config

namespace callbox::media {
// The media code reads its part of the config under its own name.
using config::MediaSettings;
} // namespace callbox::media
