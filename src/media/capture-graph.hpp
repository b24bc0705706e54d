// CaptureGraph: camera and microphone → one encoder per codec → tees that every call taps.
#pragma once

#include "config/media-settings.hpp"
#include "media/gst-ptr.hpp"
#include "media/offer-plan.hpp"

#include <gst/gst.h>
#include <gst/video/video.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>

namespace callbox::media {

// Turns "auto" sources into what this machine has: a V4L2 camera and an ALSA capture device
// when present, the test sources otherwise.
void resolve_sources(MediaSettings &settings);

class CaptureGraph
{
public:
    // Builds the sources and the H.264 and Opus encoders into `pipeline` (not yet playing);
    // the graph must go before the pipeline does.
    static std::unique_ptr<CaptureGraph> create(GstBin *pipeline, const MediaSettings &settings,
                                                std::string &error);

    // The tee carrying `codec`'s stream; an encoder for VP8 is made on first use.
    GstElement *tee_for(Codec codec, std::string &error);
    // Asks the encoder feeding `tee` for a keyframe now (a caller just connected). Like the
    // callers' own requests (PLI, FIR), it passes the encoder's keyframe gate.
    void force_keyframe(GstElement *tee);
    // A shared encoder forces at most one keyframe per this interval, whoever asks: one lossy
    // caller's stream of PLIs must not flood every other caller with keyframes.
    static constexpr std::int64_t kKeyframeIntervalUs = 500 * 1000;
    // Keyframe requests that reached an encoder, and those the gates dropped.
    std::uint64_t keyframes_forced() const;
    std::uint64_t keyframe_requests_dropped() const;
    void set_muted(bool audio, bool video);
    // Replaces the camera (or microphone) source with the one `settings` names, while the
    // encoders and calls keep running.
    bool switch_source(bool camera, const MediaSettings &settings, std::string &error);

    // Puts the microphone's voice processing as `settings` say (echo cancellation, noise
    // suppression, gain control), while the encoders and calls keep running.
    bool set_voice_processing(const MediaSettings &settings, std::string &error);
    // Whether the microphone's audio goes through echo cancellation now.
    bool echo_cancelling() const { return echo_cancelling_; }

    std::uint64_t frames_captured() const { return frames_; }
    config::VideoSource video_source() const { return settings_.video_source; }
    config::AudioSource audio_source() const { return settings_.audio_source; }
    bool stamps_clock() const { return stamp_clock_; }
    bool draws_audio_clock() const { return audio_clock_; }
    // Encoders made so far (one per codec, however many callers).
    int encoder_count() const;

private:
    explicit CaptureGraph(GstBin *pipeline, const MediaSettings &settings)
        : pipeline_(pipeline), settings_(settings)
    {
    }
    bool build(std::string &error);
    ElementPtr add_encoder(const std::string &file, GstElement *upstream_tee, std::string &error);
    const char *h264_encoder_file() const;
    static GstPadProbeReturn on_raw_frame(GstPad *pad, GstPadProbeInfo *info, gpointer self);
    // The audio clock (docs/audio-clock.md) on the test microphone, or wherever the settings say.
    static bool wants_audio_clock(const MediaSettings &settings);
    static GstPadProbeReturn on_raw_audio(GstPad *pad, GstPadProbeInfo *info, gpointer self);

    GstBin *pipeline_; // the engine's, which outlives the graph
    MediaSettings settings_;
    ElementPtr video_src_; // the source bins, and what they feed
    ElementPtr audio_src_;
    ElementPtr video_entry_;
    ElementPtr audio_entry_; // the first element after the microphone's voice processing
    ElementPtr voice_;       // the voice processor (webrtcdsp), when there is one
    bool echo_cancelling_ = false;
    std::atomic<bool> audio_clock_{false};
    ElementPtr raw_tee_;
    ElementPtr audio_tee_;
    ElementPtr h264_tee_;
    ElementPtr vp8_tee_;
    ElementPtr opus_tee_;
    int encoders_ = 0;
    // What passes a shared encoder's tee upstream: keyframe requests, at most one per interval.
    struct KeyframeGate {
        std::atomic<std::int64_t> last_us{0};
        std::atomic<std::uint64_t> forwarded{0};
        std::atomic<std::uint64_t> dropped{0};
    };
    static GstPadProbeReturn on_upstream_event(GstPad *pad, GstPadProbeInfo *info, gpointer gate);
    // tee → its sink pad, where every keyframe request passes, and the gate on it
    std::map<GstElement *, std::pair<PadPtr, std::unique_ptr<KeyframeGate>>> gates_;
    ElementPtr volume_;
    GstVideoInfo video_info_;
    bool stamp_clock_ = false;
    std::atomic<bool> video_muted_{false};
    std::atomic<std::uint64_t> frames_{0};
};

} // namespace callbox::media
