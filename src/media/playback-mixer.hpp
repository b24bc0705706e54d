// PlaybackMixer: every caller's video in a compositor grid on the device's screen, and every
// caller's audio mixed to its speaker through the echo canceller's probe (sinks chosen by
// pipelines/ files).
#pragma once

#include "config/media-settings.hpp"
#include "media/audio-clock.hpp"
#include "media/echo-path.hpp"
#include "media/gst-ptr.hpp"

#include <gst/gst.h>

#include <atomic>
#include <deque>
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
    // The audio clock (docs/audio-clock.md) read from what the speaker is given: the latency
    // from a caller's synthesized microphone to the device's speaker input (the last 100).
    LatencySummary audio_clock() const;
    // The echo path's delay beyond the speaker's latency, measured and told to the canceller's
    // probe; the microphone side (CaptureGraph::measure_echo_path) feeds it too.
    const std::shared_ptr<EchoPath> &echo_path() const { return echo_path_; }
    // The simulated room's delay ([media] room_delay_ms, applied on reload): the room's speaker
    // renders this much after the play time from its next buffer on.
    void set_room_delay(unsigned ms);

private:
    PlaybackMixer(unsigned width, unsigned height) : width_(width), height_(height) {}
    void release(GstPad *pad);
    void relayout(); // with mutex_ held
    static GstPadProbeReturn on_speaker_audio(GstPad *pad, GstPadProbeInfo *info, gpointer self);
    static GstPadProbeReturn on_probe_latency(GstPad *pad, GstPadProbeInfo *info, gpointer self);
    static GstPadProbeReturn on_latency_upstream(GstPad *pad, GstPadProbeInfo *info, gpointer self);
    void tell_echo_delay(std::int64_t delay_ns); // from the microphone's thread

    ElementPtr compositor_;
    ElementPtr audiomixer_;
    unsigned width_;
    unsigned height_;
    mutable std::mutex mutex_;
    std::vector<GstPad *> video_pads_; // in grid order; each owned by an Input
    AudioClockReader clock_reader_;    // on the speaker's streaming thread only
    mutable std::mutex clock_mutex_;
    std::deque<double> clock_latencies_ms_;
    ElementPtr probe_; // the echo canceller's probe file (a bin or the probe itself)
    std::shared_ptr<EchoPath> echo_path_;
    std::atomic<std::int64_t> echo_delay_ns_{0};
    std::atomic<std::uint32_t> told_seqnum_{GST_SEQNUM_INVALID}; // our own LATENCY event
    std::shared_ptr<std::atomic<std::int64_t>> room_delay_ns_ =
        std::make_shared<std::atomic<std::int64_t>>(0);
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
