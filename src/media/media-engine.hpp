// MediaEngine: the device as a call peer — one pipeline while anyone is in a call (capture,
// encoders, playback), one CallSession per browser, signalling in and out.
#pragma once

#include "config/media-settings.hpp"
#include "media/capture-graph.hpp"
#include "media/gst-ptr.hpp"
#include "media/idle-screen.hpp"
#include "media/playback-mixer.hpp"
#include "protocol/json-writer.hpp"
#include "rooms/room-registry.hpp"

#include <gst/gst.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace callbox::media {

class CallSession;

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
    GstElement *webrtcbin = nullptr; // for statistics; valid until the next main-loop turn
};

class MediaEngine final : public rooms::DevicePeer
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
    // The audio clock: whether the microphone sends it now, and what the speaker's input reads.
    bool sends_audio_clock() const { return capture_ && capture_->draws_audio_clock(); }
    LatencySummary speaker_audio_clock() const
    {
        return playback_ ? playback_->audio_clock() : LatencySummary{};
    }

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
    int encoder_count() const { return capture_ ? capture_->encoder_count() : 0; }
    std::uint64_t pipeline_restarts() const { return pipeline_restarts_; }
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
    const MediaSettings &settings() const { return settings_; }

private:
    CallSession *find(std::uint64_t serial);
    // The cameras (or microphones) the device monitor sees now.
    std::vector<GObjectPtr<GstDevice>> devices(bool cameras) const;
    void offer(rooms::PeerId from, const protocol::SessionDescription &offer);
    void end_call(rooms::PeerId peer, const char *state);
    void remove_finished();
    bool start_pipeline(std::string &error);
    void start_idle_screen();
    void stop_pipeline();
    void on_bus_message(GstMessage *message);
    void refuse(rooms::PeerId to, protocol::ErrorCode code, std::string message);

    MediaSettings settings_;
    rooms::Outbox &outbox_;
    rooms::RoomRegistry &registry_;
    MainContextPtr context_;
    PipelinePtr pipeline_;
    SourceId bus_watch_;
    std::jthread warmup_; // makes the DTLS certificate at start-up
    static void stop_monitor(GstDeviceMonitor *monitor);
    Owned<GstDeviceMonitor, stop_monitor> monitor_; // stopped, then unreffed
    std::int64_t capture_started_us_ = 0;
    std::unique_ptr<CaptureGraph> capture_;
    std::unique_ptr<PlaybackMixer> playback_;
    std::unique_ptr<IdleScreen> idle_;
    std::string idle_name_;
    std::string idle_link_;
    std::string idle_fingerprint_;
    std::map<rooms::PeerId, std::unique_ptr<CallSession>> calls_;
    std::uint64_t next_serial_ = 1;
    std::uint64_t pipeline_restarts_ = 0;
    std::uint64_t keyframes_forced_ = 0; // of capture graphs that are gone
    std::uint64_t keyframe_requests_dropped_ = 0;
    bool degraded_ = false;
    std::string init_error_; // why calls cannot work at all (a missing plugin)
    // Jobs posted by streaming threads hold a weak reference: those still queued on the main
    // context when the engine goes find it gone.
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

} // namespace callbox::media
