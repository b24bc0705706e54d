// CaptureGraph: camera and microphone → one encoder per codec → tees that every call taps.
#pragma once

#include "media/media-settings.hpp"
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
    // Builds the sources and the H.264 and Opus encoders into `pipeline` (not yet playing).
    static std::unique_ptr<CaptureGraph> create(GstPipeline *pipeline,
                                                const MediaSettings &settings, std::string &error);

    // The tee carrying `codec`'s stream; an encoder for VP8 is made on first use.
    GstElement *tee_for(Codec codec, std::string &error);
    // Asks the encoder feeding `tee` for a keyframe now (a caller just connected).
    void force_keyframe(GstElement *tee);
    void set_muted(bool audio, bool video);
    // Replaces the camera (or microphone) source with the one `settings` names, while the
    // encoders and calls keep running.
    bool switch_source(bool camera, const MediaSettings &settings, std::string &error);

    std::uint64_t frames_captured() const { return frames_; }
    const std::string &video_source() const { return video_source_; }
    const std::string &audio_source() const { return audio_source_; }
    bool stamps_clock() const { return stamp_clock_; }
    // Encoders made so far (one per codec, however many callers).
    int encoder_count() const;

private:
    explicit CaptureGraph(GstPipeline *pipeline, const MediaSettings &settings)
        : pipeline_(pipeline), settings_(settings)
    {
    }
    bool build(std::string &error);
    GstElement *add_encoder(const std::string &file, GstElement *upstream_tee, std::string &error);
    const char *h264_encoder_file() const;
    static GstPadProbeReturn on_raw_frame(GstPad *pad, GstPadProbeInfo *info, gpointer self);

    GstPipeline *pipeline_;
    MediaSettings settings_;
    std::string video_source_;
    std::string audio_source_;
    GstElement *video_src_ = nullptr; // the source bins, and what they feed
    GstElement *audio_src_ = nullptr;
    GstElement *video_entry_ = nullptr;
    GstElement *audio_entry_ = nullptr;
    GstElement *raw_tee_ = nullptr;
    GstElement *audio_tee_ = nullptr;
    GstElement *h264_tee_ = nullptr;
    GstElement *vp8_tee_ = nullptr;
    GstElement *opus_tee_ = nullptr;
    int encoders_ = 0;
    std::map<GstElement *, GstPad *> encoder_src_; // tee → its encoder's output (keyframes)
    GstElement *volume_ = nullptr;
    GstVideoInfo video_info_;
    bool stamp_clock_ = false;
    std::atomic<bool> video_muted_{false};
    std::atomic<std::uint64_t> frames_{0};
};

} // namespace callbox::media
