// CaptureGraph: camera and microphone → one encoder per codec → tees that every call taps.
#pragma once

#include "config/media-settings.hpp"
#include "media/echo-path.hpp"
#include "media/gst-ptr.hpp"
#include "media/offer-plan.hpp"
#include "util/glib-ptr.hpp"

#include <gst/gst.h>
#include <gst/video/video.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>

namespace callbox::media {

// Turns "auto" sources into what this machine has: a libcamera camera, else a V4L2 camera, and
// an ALSA capture device when present; the test sources otherwise.
void resolve_sources(MediaSettings &settings);

class CaptureGraph
{
public:
    // Builds the sources and the H.264 and Opus encoders into `pipeline` (not yet playing);
    // the graph must go before the pipeline does. `h264_file`: the pipelines/ encoder the engine
    // chose (choose_h264_encoder()); empty: chosen here.
    static std::unique_ptr<CaptureGraph> create(GstBin *pipeline, const MediaSettings &settings,
                                                std::string &error, std::string h264_file = {});

    // The tee carrying `codec`'s stream; an encoder for VP8 is made on first use.
    GstElement *tee_for(Codec codec, std::string &error);
    // The low layer (docs/adaptation.md): H.264 at half the width and height and
    // low_video_bitrate, for the calls whose paths are constrained; its encoder is made on first
    // use and stopped by stop_unused_encoders() when no call taps it. Null (with `error`) when
    // there is no low-layer file for the chosen encoder, or encoders are per call.
    GstElement *low_h264_tee(std::string &error);
    GstElement *h264_tee() const { return h264_tee_.get(); }
    bool is_low_layer(GstElement *tee) const { return tee && tee == low_h264_tee_.get(); }
    // Asks the encoder feeding `tee` for a keyframe. A NewReceiver (a caller that just
    // connected, a call moved onto this encoder's layer) gets it now, past the keyframe gate,
    // whose interval starts again: a keyframe sent before it was connected never reached it
    // (bench/media warm viewers waited 300–450 ms for the gate and the browser's next PLI).
    // A Reminder passes the gate like the callers' own requests (PLI, FIR).
    enum class KeyframeFor { NewReceiver, Reminder };
    void force_keyframe(GstElement *tee, KeyframeFor why);
    // A shared encoder forces at most one keyframe per this interval, whoever asks: one lossy
    // caller's stream of PLIs must not flood every other caller with keyframes.
    static constexpr std::int64_t kKeyframeIntervalUs = 500 * 1000;
    // Keyframe requests that reached an encoder, and those the gates dropped.
    std::uint64_t keyframes_forced() const;
    std::uint64_t keyframe_requests_dropped() const;
    void set_muted(bool audio, bool video);
    // Sets every video encoder's bitrate (x264enc, vp8enc) but the low layer's to `kbps`, while
    // it runs.
    void set_video_bitrate(unsigned kbps);
    // The low layer's bitrate: now if it runs, and whenever it starts again.
    void set_low_video_bitrate(unsigned kbps);
    // Replaces the camera (or microphone) source with the one `settings` names, while the
    // encoders and calls keep running.
    bool switch_source(bool camera, const MediaSettings &settings, std::string &error);

    // A camera or microphone that fails mid-call (an error, its stream ends, or nothing for
    // capture_stall_ms) is replaced by a placeholder (a "camera unavailable" picture, silence)
    // while the calls go on; the real source is tried again with back-off
    // (capture-recovery.cpp).
    // Trying: the device is back in the graph but has delivered nothing yet (still
    // "unavailable" to the status; an error or silence sends it back to the placeholder).
    enum class SourceState { Live, Unavailable, Trying };
    struct SourceHealth {
        SourceState state = SourceState::Live;
        std::uint64_t failures = 0;
        std::uint64_t recoveries = 0;
    };
    const SourceHealth &health(bool camera) const { return slot(camera).health; }
    // An error posted by `top` (an element right under the pipeline, or one already taken out
    // of it): true when it was a capture source's, which this graph has dealt with.
    bool on_source_error(GstObject *top);
    // A device was plugged in: a source that is unavailable is tried now.
    void retry_now();
    // Puts the microphone's voice processing as `settings` say (echo cancellation, noise
    // suppression, gain control), while the encoders and calls keep running.
    bool set_voice_processing(const MediaSettings &settings, std::string &error);
    // Whether the microphone's audio goes through echo cancellation now.
    bool echo_cancelling() const { return echo_cancelling_; }
    // Feeds what the microphone hears, before voice processing, to `path` (the playback mixer's)
    // whenever echo cancellation runs, so the echo path's delay is measured.
    void measure_echo_path(std::shared_ptr<EchoPath> path);

    std::uint64_t frames_captured() const { return frames_; }
    config::VideoSource video_source() const { return settings_.video_source; }
    config::AudioSource audio_source() const { return settings_.audio_source; }
    bool stamps_clock() const { return stamp_clock_; }
    // The camera and the mode it runs in, as the log and the admin page say it.
    const std::string &camera_mode() const { return camera_mode_; }
    bool draws_audio_clock() const { return audio_clock_; }
    // Encoders made so far (one per codec, however many callers).
    int encoder_count() const;
    // Encoders running now.
    int running_encoders() const { return static_cast<int>(gates_.size()); }
    // Stops an on-demand shared encoder (VP8, the low H.264 layer) that no call taps any more;
    // made again on the next call that needs it.
    void stop_unused_encoders();

private:
    explicit CaptureGraph(GstBin *pipeline, const MediaSettings &settings)
        : pipeline_(pipeline), settings_(settings)
    {
    }
    bool build(std::string &error);
    ElementPtr add_encoder(const std::string &file, GstElement *upstream_tee, std::string &error);
    void stop_if_unused(ElementPtr &tee);
    static GstPadProbeReturn on_raw_frame(GstPad *pad, GstPadProbeInfo *info, gpointer self);
    // The audio clock (docs/audio-clock.md) on the test microphone, or wherever the settings say.
    static bool wants_audio_clock(const MediaSettings &settings);
    static GstPadProbeReturn on_raw_audio(GstPad *pad, GstPadProbeInfo *info, gpointer self);

    // What watches one source: its health, the next try, and what its streaming thread saw.
    struct SourceSlot {
        explicit SourceSlot(bool is_camera) : camera(is_camera) {}
        const bool camera;
        CaptureGraph *graph = nullptr;
        SourceHealth health;
        unsigned retry_ms = 0;
        SourceId retry;
        std::int64_t started_us = 0;
        std::atomic<bool> ended{false};            // the source sent EOS (dropped at the entry)
        std::atomic<std::int64_t> last_data_us{0}; // the last buffer's arrival, 0 for none yet
    };
    SourceSlot &slot(bool camera) { return camera ? video_slot_ : audio_slot_; }
    const SourceSlot &slot(bool camera) const { return camera ? video_slot_ : audio_slot_; }
    void watch_sources();
    bool check_sources();
    void fail_over(SourceSlot &slot, const char *why);
    void back_to_placeholder(SourceSlot &slot, const char *why);
    void try_source(SourceSlot &slot);
    void schedule_retry(SourceSlot &slot);
    void retry_later(SourceSlot &slot, const std::string &why); // with the wait doubled
    void went_live(SourceSlot &slot);
    // Puts `fresh` (already in the pipeline or not) where the camera's (microphone's) source
    // is, stopping and removing the old one.
    bool replace_source(bool camera, ElementPtr fresh, std::string &error);
    // Stops a source (its streaming threads joined) and takes it out of the pipeline.
    void stop_and_remove(GstElement *source);
    // The camera (by its mode plan) or microphone source `next` names, not yet in the graph;
    // sets `next`'s resolved camera choice.
    ElementPtr load_source(bool camera, MediaSettings &next, std::string &error);
    static GstPadProbeReturn on_entry_data(GstPad *pad, GstPadProbeInfo *info, gpointer slot);
    SourceSlot video_slot_{true};
    SourceSlot audio_slot_{false};
    SourceId watchdog_;
    std::atomic<bool> video_live_{true}; // the clock pattern is only drawn on live frames

    GstBin *pipeline_; // the engine's, which outlives the graph
    MediaSettings settings_;
    std::string h264_file_;
    std::string camera_mode_;
    ElementPtr video_src_; // the source bins, and what they feed
    ElementPtr audio_src_;
    ElementPtr video_entry_;
    ElementPtr audio_entry_; // the first element after the microphone's voice processing
    ElementPtr voice_;       // the voice processor (webrtcdsp), when there is one
    bool echo_cancelling_ = false;
    std::shared_ptr<EchoPath> echo_path_;
    void tap_echo_path(); // on voice_'s input, when it cancels echo
    std::atomic<bool> audio_clock_{false};
    ElementPtr raw_tee_;
    ElementPtr audio_tee_;
    ElementPtr h264_tee_;
    ElementPtr vp8_tee_;
    ElementPtr low_h264_tee_;
    unsigned low_kbps_ = 0; // 0: the pipelines/ file's own (low_video_bitrate)
    void set_encoder_bitrates(unsigned kbps, bool low_layer);
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
    std::uint64_t retired_forced_ = 0; // of encoders stopped for want of callers
    std::uint64_t retired_dropped_ = 0;
    ElementPtr volume_;
    GstVideoInfo video_info_;
    bool stamp_clock_ = false;
    std::atomic<bool> test_camera_{false}; // the test pattern: draw the readable wall clock
    std::atomic<bool> video_muted_{false};
    std::atomic<std::uint64_t> frames_{0};
};

} // namespace callbox::media
