// PlaybackMixer: every caller's video in a compositor grid on the device's screen, and every
// caller's audio mixed to its speaker through the echo canceller's probe (sinks chosen by
// pipelines/ files).
#pragma once

#include "config/media-settings.hpp"
#include "media/gst-ptr.hpp"

#include <gst/gst.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace callbox::media {

class PlaybackMixer
{
public:
    // Builds the mixers and sinks into `pipeline`; the mixer must go before the pipeline does.
    static std::unique_ptr<PlaybackMixer> create(GstBin *pipeline, const MediaSettings &settings,
                                                 std::string &error);

    // A new input for one caller's stream; safe from streaming threads. The pad goes back
    // to its mixer (and the grid closes the gap) when the returned owner goes away, which
    // must be after the caller's branch stopped.
    class Input;
    Input request_video_pad();
    Input request_audio_pad();

    std::size_t video_inputs() const;

private:
    PlaybackMixer(unsigned width, unsigned height) : width_(width), height_(height) {}
    void release(GstPad *pad);
    void relayout(); // with mutex_ held

    ElementPtr compositor_;
    ElementPtr audiomixer_;
    unsigned width_;
    unsigned height_;
    mutable std::mutex mutex_;
    std::vector<GstPad *> video_pads_; // in grid order; each owned by an Input
};

class PlaybackMixer::Input
{
public:
    Input() = default;
    Input(PlaybackMixer *mixer, RequestPad pad) : mixer_(mixer), pad_(std::move(pad)) {}
    Input(Input &&) noexcept = default;
    Input &operator=(Input &&) = delete;
    ~Input()
    {
        if (mixer_ && pad_)
            mixer_->release(pad_.get());
    }

    GstPad *pad() const { return pad_.get(); }

private:
    PlaybackMixer *mixer_ = nullptr;
    RequestPad pad_;
};

} // namespace callbox::media
