// MediaEngine: the device as a call peer — one pipeline while anyone is in a call (capture,
// encoders, playback), one CallSession per browser, signalling in and out.
#pragma once

#include "config/ice-settings.hpp"
#include "config/media-settings.hpp"
#include "media/bitrate-controller.hpp"
#include "media/capture-graph.hpp"
#include "media/encoder-choice.hpp"
#include "media/gst-ptr.hpp"
#include "media/idle-screen.hpp"
#include "media/layer-chooser.hpp"
#include "media/playback-mixer.hpp"
#include "media/rtx-budget.hpp"
#include "media/self-test.hpp"
#include "protocol/json-writer.hpp"
#include "rooms/room-registry.hpp"
#include "server/media-control.hpp"
#include "sfu/device-publisher.hpp"

#include <gst/gst.h>

#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace callbox::media {

class CallSession;
class SfuPublication;
class CallSignalling;

// WHEP calls have peer ids from here on, far past any connection's.
constexpr rooms::PeerId kFirstWhepPeer = rooms::PeerId{1} << 62;

struct CallInfo {
    std::string peer;
    std::string state;
    std::string video_codec;
    std::uint64_t video_frames_in = 0;
    std::uint64_t audio_buffers_in = 0;
    std::uint64_t video_frames_out = 0;
    double clock_latency_median_ms = 0; // the browser's clock pattern, when it sends one
    double clock_latency_p95_ms = 0;
    std::size_t clock_latency_samples = 0;
    double bitrate_in_kbps = 0, bitrate_out_kbps = 0, rtt_ms = -1, packet_loss = 0;
    double fps_in = 0, fps_out = 0;
    std::string layer; // the H.264 layer its video comes from: "top" or "low"
    // What the bitrate controller last read of the path to the browser (its receiver reports,
    // its retransmission requests, what was sent).
    struct Path {
        double fraction_lost = 0, nack_ratio = 0, rtt_ms = -1, sent_kbps = -1, delivered_kbps = -1;
        bool constrained = false;
    } path;
    GstElement *webrtcbin = nullptr; // for statistics; valid until the next main-loop turn
    double video_in_max_gap_ms = 0;  // the longest wait between two of the browser's frames
    // [threshold ms, waits longer than it] for CallSession::Counters::kGapBucketsMs
    std::vector<std::pair<int, std::uint64_t>> video_in_gaps_over;
};

class MediaEngine final : public rooms::DevicePeer, public sfu::DevicePublisher
{
public:
    MediaEngine(MediaSettings settings, rooms::Outbox &outbox, rooms::RoomRegistry &registry);
    ~MediaEngine() override;

    // Checks plugins and warms up DTLS; false with a message naming what to install.
    bool init(std::string &error);

    void signal(rooms::PeerId from, const protocol::SignalData &data) override;
    void peer_gone(rooms::PeerId peer) override;

    void set_muted(bool audio, bool video);
    // Echo cancellation on or off, in running calls too (the microphone restarts).
    bool set_echo_cancel(bool on, std::string &error);
    // Whether the settings put echo cancellation on the microphone, and whether it runs now.
    bool echo_cancel_active() const { return config::echo_cancel_active(settings_); }
    bool echo_cancel_running() const { return capture_ && capture_->echo_cancelling(); }
    // The echo path's delay beyond the speaker's latency, as measured in this capture (NaN
    // until measured, or with no capture).
    double echo_path_ms() const
    {
        return playback_ ? playback_->echo_path()->measured_ms()
                         : std::numeric_limits<double>::quiet_NaN();
    }
    // The audio clock: whether the microphone sends it now, and what the speaker's input reads.
    bool sends_audio_clock() const { return capture_ && capture_->draws_audio_clock(); }
    LatencySummary speaker_audio_clock() const
    {
        return playback_ ? playback_->audio_clock() : LatencySummary{};
    }

    // WHEP sessions (media/whep.cpp): receive-only calls answered over HTTP.
    void whep_offer(const std::string &resource, const std::string &offer,
                    std::function<void(server::WhepReply)> done);
    unsigned whep_patch(const std::string &resource, std::string_view sdpfrag,
                        std::string &message);
    bool whep_end(const std::string &resource);

    // The device's publications into SFU rooms (media/sfu-publication.hpp).
    bool publish(const std::string &key, sfu::PublisherSink &sink, std::string &error) override;
    void answer(const std::string &key, const std::string &sdp) override;
    void unpublish(const std::string &key) override;
    std::size_t publication_count() const { return publications_.size(); }

    // While nobody is in a call, the screen shows `name`, the join link and its QR code.
    void show_idle_screen(std::string name, std::string link, std::string fingerprint);
    // Frames the idle screen has shown (0 during a call).
    std::uint64_t idle_frames() const { return idle_ ? idle_->frames() : 0; }
    const std::string &join_link() const { return idle_link_; }

    // Cameras and microphones (GstDeviceMonitor, hot-plug aware, plus the built-in test
    // sources) as {"cameras":[{"id","name","current"}],"microphones":[...]}.
    void write_devices(protocol::JsonWriter &w) const;
    // Uses another camera or microphone; a running capture switches without dropping calls.
    bool select_device(std::string_view kind, const std::string &id, std::string &error);
    // Frames a second the camera delivered since capture started (0 while idle).
    double capture_fps() const;
    bool audio_muted() const { return settings_.audio_muted; }
    bool video_muted() const { return settings_.video_muted; }

    std::size_t call_count() const { return calls_.size(); }
    std::vector<CallInfo> calls(); // samples each call's statistics
    // "test" or the camera's device path; "test" or the ALSA device.
    std::string camera() const
    {
        return settings_.video_source == config::VideoSource::Test ? "test"
                                                                   : settings_.video_device;
    }
    std::string microphone() const
    {
        return settings_.audio_source == config::AudioSource::Test ? "test"
                                                                   : settings_.audio_device;
    }
    bool capturing() const { return pipeline_ != nullptr; }
    // The camera and its mode ("V4L2 camera /dev/video0: MJPEG 1280x720@30 decoded by jpegdec"),
    // and the H.264 encoder calls use with what was passed over.
    const std::string &camera_mode() const { return camera_mode_; }
    const std::string &video_encoder() const { return h264_.summary; }

    // Runs the self-test on a thread (no call may run meanwhile, and none starts: offers get
    // busy); `done` gets the report on the main loop. False with a reason when it cannot start.
    bool start_self_test(std::function<void(const SelfTestReport &)> done, std::string &error);
    // "live", "unavailable" (a placeholder while the device is retried) or "off" (no call).
    const char *capture_state(bool camera) const
    {
        if (!capture_)
            return "off";
        return capture_->health(camera).state == CaptureGraph::SourceState::Live ? "live"
                                                                                 : "unavailable";
    }
    // Times the camera (microphone) failed mid-call, and came back, since capture started.
    std::uint64_t capture_failures(bool camera) const
    {
        return capture_ ? capture_->health(camera).failures : 0;
    }
    std::uint64_t capture_recoveries(bool camera) const
    {
        return capture_ ? capture_->health(camera).recoveries : 0;
    }
    int encoder_count() const { return capture_ ? capture_->encoder_count() : 0; }
    int running_encoders() const { return capture_ ? capture_->running_encoders() : 0; }
    std::uint64_t pipeline_restarts() const { return pipeline_restarts_; }
    // Each shared H.264 layer's bitrate now (lowered while the path of every caller on it is
    // constrained), and the calls whose paths were constrained in the last sample.
    unsigned video_bitrate_kbps() const
    {
        return bitrate_ ? bitrate_->target_kbps() : settings_.video_bitrate;
    }
    unsigned low_video_bitrate_kbps() const
    {
        return low_bitrate_ ? low_bitrate_->target_kbps() : settings_.low_video_bitrate;
    }
    std::size_t constrained_calls() const;
    // Connected calls with video on each shared H.264 layer (docs/adaptation.md).
    std::size_t calls_on_layer(Layer layer) const;
    // Keyframe requests (callers' PLI/FIR, and the device's for a new caller) that reached a
    // shared encoder, and those its once-per-500-ms gate dropped; since start.
    std::uint64_t keyframes_forced() const
    {
        return keyframes_forced_ + (capture_ ? capture_->keyframes_forced() : 0);
    }
    std::uint64_t keyframe_requests_dropped() const
    {
        return keyframe_requests_dropped_ + (capture_ ? capture_->keyframe_requests_dropped() : 0);
    }
    // "running", or "degraded" after a pipeline error until the next successful call.
    // A call connected: whatever broke before works again.
    void call_connected() { degraded_ = false; }
    const char *health() const
    {
        return degraded_ || !init_error_.empty() ? "degraded" : "running";
    }

    // For CallSession: runs `job` on the main loop (after `delay_ms`) if the call `serial`
    // still exists then.
    void post(std::uint64_t serial, std::function<void(CallSession &)> job, guint delay_ms = 0);
    // The same for a publication: runs `job` if publication `serial` named `key` still exists.
    void post_publication(const std::string &key, std::uint64_t serial,
                          std::function<void(SfuPublication &)> job);
    const MediaSettings &settings() const { return settings_; }
    // The STUN and TURN servers new calls use ([ice], applied live).
    void set_ice(config::IceSettings ice) { ice_ = std::move(ice); }
    void set_room_delay(unsigned ms)
    {
        settings_.room_delay_ms = ms;
        if (playback_)
            playback_->set_room_delay(ms);
    }
    const config::IceSettings &ice() const { return ice_; }

private:
    CallSession *find(std::uint64_t serial);
    // Runs `job` on the main loop (after `delay_ms`) if the engine still exists then.
    void post_main(std::function<void()> job, guint delay_ms = 0);
    // Stops capture when no call and no publication needs it.
    void stop_if_unused();
    // The cameras (or microphones) the device monitor sees now.
    std::vector<GObjectPtr<GstDevice>> devices(bool cameras) const;
    void offer(rooms::PeerId from, const protocol::SessionDescription &offer,
               std::unique_ptr<CallSignalling> signalling);
    CallSession *whep_call(const std::string &resource);
    void end_call(rooms::PeerId peer, const char *state);
    void remove_finished();
    bool start_pipeline(std::string &error);
    void start_idle_screen();
    void stop_pipeline();
    void on_bus_message(GstMessage *message);
    // Once a second while capturing: asks every connected call's webrtcbin for its path
    // report, and decides kDecideAfterMs later, on the answers.
    void sample_paths();
    static constexpr guint kDecideAfterMs = 250;
    void adapt_bitrate();
    // Before `call`, on the top layer, moves to the low one (call-layers.cpp).
    void start_low_layer_for(const CallSession &call);
    // A try of the top layer, looked at kTryLooks times kTryLookMs apart after it started: a
    // call the browser asked for at least kTryLostPackets packets again by then, and for
    // BitrateController::kLossConstrained of those it was sent, goes back down at once rather
    // than at its next sample (call-layers.cpp). Returns whether a try is still looked at.
    static constexpr guint kTryLookMs = 350;
    static constexpr int kTryLooks = 2;
    static constexpr std::uint64_t kTryLostPackets = 4;
    bool look_at_tries();
    // Gives the encoder of `layer` its controller's target (changed from `before`), and logs why.
    void apply_layer_bitrate(Layer layer, unsigned before, const char *why);
    void adapt_layers(); // each call to the layer its path carries (call-layers.cpp)

    MediaSettings settings_;
    config::IceSettings ice_;
    rooms::Outbox &outbox_;
    rooms::RoomRegistry &registry_;
    MainContextPtr context_;
    PipelinePtr pipeline_;
    SourceId bus_watch_;
    std::jthread warmup_; // makes the DTLS certificate at start-up
    static void stop_monitor(GstDeviceMonitor *monitor);
    Owned<GstDeviceMonitor, stop_monitor> monitor_; // stopped, then unreffed
    SourceId monitor_watch_;                        // hot-plug: DEVICE_ADDED
    std::int64_t capture_started_us_ = 0;
    std::unique_ptr<CaptureGraph> capture_;
    std::unique_ptr<BitrateController> bitrate_;     // the top layer's, while capturing
    std::unique_ptr<BitrateController> low_bitrate_; // the low layer's
    LayerChooser layers_;
    bool low_full_before_ = true; // the low layer at its full rate at the previous decision
    SourceId adapt_timer_;
    SourceId adapt_decision_; // kDecideAfterMs after a sample
    SourceId try_look_;       // kTryLookMs after a call went up
    struct Try {
        RtxLimiter::Counts at_start; // the call's counts as it went up
        int looks = 0;
    };
    std::map<std::uint64_t, Try> tries_; // by call
    std::unique_ptr<PlaybackMixer> playback_;
    double last_echo_path_ms_ = std::numeric_limits<double>::quiet_NaN(); // the last call's
    std::unique_ptr<IdleScreen> idle_;
    std::string idle_name_;
    std::string idle_link_;
    std::string idle_fingerprint_;
    std::map<rooms::PeerId, std::unique_ptr<CallSession>> calls_;
    std::map<std::string, std::unique_ptr<SfuPublication>> publications_;
    std::map<std::string, rooms::PeerId> whep_; // WHEP resource → its call's peer id
    rooms::PeerId next_whep_peer_ = kFirstWhepPeer;
    std::uint64_t next_serial_ = 1;
    std::uint64_t pipeline_restarts_ = 0;
    std::uint64_t keyframes_forced_ = 0; // of capture graphs that are gone
    std::uint64_t keyframe_requests_dropped_ = 0;
    bool degraded_ = false;
    std::string init_error_;  // why calls cannot work at all (a missing plugin)
    H264Choice h264_;         // chosen once, at init
    std::string camera_mode_; // at init, then what each capture chose
    bool self_testing_ = false;
    std::jthread self_test_;
    // Jobs posted by streaming threads hold a weak reference: those still queued on the main
    // context when the engine goes find it gone.
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

} // namespace callbox::media
