// CallSession: one browser's call with the device — a webrtcbin answering the browser's
// offer, send branches tapped off the shared encoders, received streams into playback.
#pragma once

#include "media/gst-ptr.hpp"
#include "media/layer-chooser.hpp"
#include "media/offer-plan.hpp"
#include "media/path-report.hpp"
#include "media/rtx-budget.hpp"
#include "protocol/messages.hpp"
#include "rooms/room-registry.hpp"

#define GST_USE_UNSTABLE_API
#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace callbox::media {

class CaptureGraph;
class LayerSwitch;
class MediaEngine;
class PlaybackMixer;

// Where a call's messages to its browser go: signalling (the answer, the device's ICE
// candidates), how the call stands ("connecting", "connected", "failed", "ended"), errors.
class CallSignalling
{
public:
    virtual ~CallSignalling() = default;
    virtual void signal(const protocol::SignalData &data) = 0;
    virtual void state(std::string_view state) = 0;
    virtual void error(protocol::ErrorCode code, std::string message) = 0;
    // The device has gathered all its ICE candidates (after the answer).
    virtual void gathered() {}
};

class CallSession
{
public:
    CallSession(MediaEngine &engine, std::unique_ptr<CallSignalling> signalling, rooms::PeerId peer,
                std::uint64_t serial);
    ~CallSession();
    CallSession(const CallSession &) = delete;
    CallSession &operator=(const CallSession &) = delete;

    // Builds the call into `pipeline` and starts answering `offer`.
    bool start(GstBin *pipeline, CaptureGraph &capture, PlaybackMixer &playback,
               const OfferPlan &plan, const std::string &offer, std::string &error);
    // A new offer from the same browser (an ICE restart, a renegotiation) answered on this
    // webrtcbin, when it keeps the m-lines, codecs and payload types and asks for no new send
    // stream; false when it does not fit (the engine then replaces the call).
    bool renegotiate(const OfferPlan &plan, const std::string &offer);
    // A browser candidate; kept until the offer is applied. Without an m-line index (or with
    // one out of range) its line is found by `mid`. Dropped: candidates the device does not
    // try (remote_candidate_allowed()) and those past [media] max_ice_candidates.
    void add_remote_candidate(const protocol::IceCandidate &candidate);

    rooms::PeerId peer() const { return peer_; }
    std::uint64_t serial() const { return serial_; }
    const std::string &state() const { return state_; }
    bool finished() const { return finished_; }
    // Marks the call over with a last call-state for the browser.
    void finish(const char *state);
    // Tells the browser why (an error), then finishes the call as "failed".
    void fail(protocol::ErrorCode code, std::string message);
    std::string video_codec() const;
    GstElement *webrtcbin() const { return webrtc_.get(); }

    struct Counters {
        std::atomic<std::uint64_t> video_frames_in{0};
        std::atomic<std::uint64_t> audio_buffers_in{0};
        std::atomic<std::uint64_t> video_frames_out{0};
        // Monotonic time of the browser's last decoded frame, the longest wait between two,
        // and how many waits were longer than each of kGapBucketsMs.
        std::atomic<std::int64_t> video_in_last_us{0};
        std::atomic<std::int64_t> video_in_max_gap_us{0};
        static constexpr std::array<int, 4> kGapBucketsMs{100, 250, 500, 1000};
        std::array<std::atomic<std::uint64_t>, 4> video_in_gaps_over{};
    };
    const Counters &counters() const;

    // Latency of the browser's clock pattern (CLOCKPATTERN.md) as decoded by the device.
    struct ClockLatency {
        double median_ms = 0;
        double p95_ms = 0;
        std::size_t samples = 0;
    };
    ClockLatency clock_latency() const;

    // Live figures from webrtcbin's get-stats and the frame counters, as rates since the
    // previous sample.
    struct LiveStats {
        double bitrate_in_kbps = 0;
        double bitrate_out_kbps = 0;
        double rtt_ms = -1;     // -1: not known yet
        double packet_loss = 0; // fraction of the packets sent to the device that were lost
        double fps_in = 0;
        double fps_out = 0;
    };
    LiveStats sample_stats();
    // The browser's receiver reports on what the device sends, for the bitrate controller:
    // request_path_report() asks webrtcbin without waiting; path_report() is the last answer.
    using PathReport = media::PathReport;
    void request_path_report();
    // How many retransmissions the browser may have per media packet (RtxBudget's share).
    void set_retransmission_share(double share)
    {
        if (rtx_)
            rtx_->set_share(share);
    }
    const PathReport &path_report() const { return path_; }
    // What the browser has asked for again so far (read now, not at the last report).
    RtxLimiter::Counts retransmission_counts() const
    {
        return rtx_ ? rtx_->counts() : RtxLimiter::Counts{};
    }

    // The shared H.264 layer this call's video comes from (call-layers.cpp). move_to_layer()
    // starts a move, done at the layer's next keyframe; a move under way is reminded (its
    // keyframe asked for again) and finished by the next call. Nothing for a call without an
    // H.264 send branch, or after a move failed (logged once; the call stays where it is).
    Layer layer() const; // a move done counts at once
    void move_to_layer(Layer layer);

    struct Shared; // what streaming-thread callbacks may touch

private:
    bool add_send_branch(const PlannedLine &line, CaptureGraph &capture, std::string &error);
    void apply_remote_offer(const std::string &offer);
    void on_remote_description_set();
    void on_answer(GstWebRTCSessionDescription *answer);
    void on_local_candidate(unsigned mline, const std::string &candidate);
    void on_connection_state(GstWebRTCPeerConnectionState state);
    void on_gathering_done();
    void send_state(const char *state);

    MediaEngine &engine_;
    std::unique_ptr<CallSignalling> signalling_;
    rooms::PeerId peer_;
    std::uint64_t serial_;
    std::shared_ptr<Shared> shared_;
    GstBin *pipeline_ = nullptr;      // the engine's; outlives the call
    CaptureGraph *capture_ = nullptr; // the engine's; outlives the call
    ElementPtr bin_;                  // the call's elements, inside the pipeline while it runs
    ElementPtr webrtc_;
    OfferPlan plan_;
    std::vector<RequestPad> tee_pads_; // the shared encoders' outputs this call taps
    std::vector<std::pair<unsigned, std::string>> pending_candidates_;
    bool remote_set_ = false;
    bool relay_only_ = false;       // [ice] relay_only when the call started
    unsigned relay_candidates_ = 0; // the device's own, from its TURN allocations
    bool gathered_ = false;
    unsigned remote_candidates_ = 0; // given to webrtcbin or queued for it
    struct Sample {
        std::int64_t at_us = 0;
        std::uint64_t bytes_in = 0, bytes_out = 0, frames_in = 0, frames_out = 0;
    } last_sample_;
    PathReport path_;
    std::shared_ptr<RtxLimiter> rtx_;
    Layer layer_ = Layer::Top;
    std::unique_ptr<LayerSwitch> layer_switch_; // a move under way
    bool layer_stuck_ = false;
    bool finished_ = false;
    std::string state_ = "connecting";
};

} // namespace callbox::media
