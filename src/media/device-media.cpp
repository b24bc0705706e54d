// DeviceMedia: the MediaEngine behind the MediaControl interface — the status, statistics and
// metrics the HTTP API shows, and the admin's actions.
#include "media/device-media.hpp"

#include "media/idle-text.hpp"
#include "media/media-engine.hpp"
#include "media/pipeline-pairs.hpp"
#include "protocol/json-writer.hpp"
#include "server/metrics.hpp"

#include <gst/gst.h>

#include <cmath>
#include <cstdio>

namespace callbox::media {

namespace {

// "key":{"median":..,"p95":..,"samples":..}: latencies read from a clock (video or audio).
void write_latency(protocol::JsonWriter &w, const char *key, const LatencySummary &l)
{
    w.key(key)
        .begin_object()
        .member("median", l.median_ms)
        .member("p95", l.p95_ms)
        .member("samples", static_cast<std::uint64_t>(l.samples))
        .end_object();
}

void write_call(protocol::JsonWriter &w, const CallInfo &c)
{
    w.begin_object()
        .member("peer", std::string_view(c.peer))
        .member("state", std::string_view(c.state))
        .member("video_codec", std::string_view(c.video_codec))
        .member("layer", std::string_view(c.layer))
        .member("video_frames_in", c.video_frames_in)
        .member("audio_buffers_in", c.audio_buffers_in)
        .member("video_frames_out", c.video_frames_out)
        .member("video_in_max_gap_ms", c.video_in_max_gap_ms);
    w.key("video_in_gaps_over_ms").begin_object();
    for (const auto &[ms, n] : c.video_in_gaps_over)
        w.member(std::to_string(ms), n);
    w.end_object();
    write_latency(w, "clock_latency_ms",
                  {c.clock_latency_median_ms, c.clock_latency_p95_ms, c.clock_latency_samples});
    w.key("stats")
        .begin_object()
        .member("codec", std::string_view(c.video_codec))
        .member("bitrate_in_kbps", c.bitrate_in_kbps)
        .member("bitrate_out_kbps", c.bitrate_out_kbps)
        .member("rtt_ms", c.rtt_ms >= 0 ? c.rtt_ms : std::nan(""))
        .member("packet_loss", c.packet_loss)
        .member("fps_in", c.fps_in)
        .member("fps_out", c.fps_out)
        .end_object();
    const auto known = [](double v) {
        return v >= 0 ? v : std::nan("");
    };
    w.key("path")
        .begin_object()
        .member("fraction_lost", c.path.fraction_lost)
        .member("nack_ratio", c.path.nack_ratio)
        .member("rtt_ms", known(c.path.rtt_ms))
        .member("sent_kbps", known(c.path.sent_kbps))
        .member("delivered_kbps", known(c.path.delivered_kbps))
        .member("constrained", c.path.constrained)
        .end_object()
        .end_object();
}

class DeviceMedia final : public server::MediaControl, public sfu::DevicePublisher
{
public:
    DeviceMedia(const MediaSettings &settings, rooms::Outbox &outbox, rooms::RoomRegistry &registry)
        : registry_(registry), engine_(std::make_unique<MediaEngine>(settings, outbox, registry))
    {
        std::string error;
        if (!engine_->init(error))
            g_critical("calls with the device will not work: %s", error.c_str());
        registry_.set_device_peer(engine_.get());
    }
    ~DeviceMedia() override { shut_down(); }

    const char *state() const override { return engine_ ? engine_->health() : off_.state(); }
    std::size_t call_count() const override { return engine_ ? engine_->call_count() : 0; }

    void write(protocol::JsonWriter &w) const override
    {
        if (!engine_)
            return off_.write(w);
        w.key("media").begin_object().member("state", state());
        w.key("calls").begin_array();
        for (const CallInfo &c : engine_->calls())
            write_call(w, c);
        w.end_array()
            .member("capturing", engine_->capturing())
            .member("encoders", static_cast<std::int64_t>(engine_->encoder_count()))
            .member("encoders_running", static_cast<std::int64_t>(engine_->running_encoders()))
            .member("pipeline_restarts", engine_->pipeline_restarts())
            .member("sfu_publications", static_cast<std::uint64_t>(engine_->publication_count()))
            .member("audio_muted", engine_->audio_muted())
            .member("video_muted", engine_->video_muted())
            .member("idle_screen_frames", engine_->idle_frames())
            .member("join_link", std::string_view(engine_->join_link()))
            .member("camera", std::string_view(engine_->camera()))
            .member("microphone", std::string_view(engine_->microphone()))
            .member("camera_mode", std::string_view(engine_->camera_mode()))
            .member("video_encoder", std::string_view(engine_->video_encoder()))
            .member("video_bitrate_kbps", static_cast<std::uint64_t>(engine_->video_bitrate_kbps()))
            .member("low_video_bitrate_kbps",
                    static_cast<std::uint64_t>(engine_->low_video_bitrate_kbps()))
            .member("constrained_calls", static_cast<std::uint64_t>(engine_->constrained_calls()));
        w.key("layers").begin_object();
        for (Layer layer : {Layer::Top, Layer::Low})
            w.member(layer_name(layer), static_cast<std::uint64_t>(engine_->calls_on_layer(layer)));
        w.end_object();
        const MediaSettings &s = engine_->settings();
        w.key("echo_cancel")
            .begin_object()
            .member("mode", config::name(s.echo_cancel))
            .member("active", engine_->echo_cancel_active())
            .member("running", engine_->echo_cancel_running())
            .member("echo_path_ms", engine_->echo_path_ms())
            .member("noise_suppression", s.noise_suppression)
            .member("gain_control", s.gain_control)
            .end_object();
        w.key("audio_clock").begin_object().member("sending", engine_->sends_audio_clock());
        write_latency(w, "speaker_latency_ms", engine_->speaker_audio_clock());
        w.end_object();
        w.key("capture").begin_object();
        for (bool camera : {true, false})
            w.key(camera ? "camera" : "microphone")
                .begin_object()
                .member("state", std::string_view(engine_->capture_state(camera)))
                .member("failures", engine_->capture_failures(camera))
                .member("recoveries", engine_->capture_recoveries(camera))
                .end_object();
        w.end_object().end_object();
    }

    void write_metrics(std::string &out) const override
    {
        if (!engine_)
            return off_.write_metrics(out);
        server::append_calls_metric(out, call_count());
        server::append_metric(out, "callbox_encoders", "gauge",
                              "Encoders running (one per codec, shared).",
                              engine_->encoder_count());
        server::append_metric(out, "callbox_encoder_fps", "gauge",
                              "Frames per second the camera delivers.", engine_->capture_fps());
        server::append_metric(out, "callbox_pipeline_restarts_total", "counter",
                              "Times the shared media pipeline failed and was rebuilt.",
                              engine_->pipeline_restarts());
        server::append_metric(out, "callbox_video_bitrate_kbps", "gauge",
                              "The shared video encoder's bitrate (lowered while every caller's "
                              "path is constrained).",
                              engine_->video_bitrate_kbps());
        server::append_metric(out, "callbox_low_video_bitrate_kbps", "gauge",
                              "The half-size H.264 encoding's bitrate (lowered while the path of "
                              "every caller on it is constrained).",
                              engine_->low_video_bitrate_kbps());
        server::append_metric(out, "callbox_calls_top_layer", "gauge",
                              "Connected calls with video from the full-size H.264 encoding.",
                              engine_->calls_on_layer(Layer::Top));
        server::append_metric(out, "callbox_calls_low_layer", "gauge",
                              "Connected calls moved to the half-size H.264 encoding (their paths "
                              "are constrained).",
                              engine_->calls_on_layer(Layer::Low));
        server::append_metric(
            out, "callbox_camera_live", "gauge",
            "1 while the camera delivers, 0 while callers get a placeholder.",
            static_cast<int>(std::string_view(engine_->capture_state(true)) == "live"));
        server::append_metric(
            out, "callbox_microphone_live", "gauge",
            "1 while the microphone delivers, 0 while callers get silence.",
            static_cast<int>(std::string_view(engine_->capture_state(false)) == "live"));
        server::append_metric(out, "callbox_capture_failures_total", "counter",
                              "Times the camera or microphone failed mid-call (this capture).",
                              engine_->capture_failures(true) + engine_->capture_failures(false));
        server::append_metric(out, "callbox_keyframes_forced_total", "counter",
                              "Keyframe requests that reached a shared encoder.",
                              engine_->keyframes_forced());
        server::append_metric(out, "callbox_keyframe_requests_dropped_total", "counter",
                              "Keyframe requests dropped: at most one per 500 ms per encoder.",
                              engine_->keyframe_requests_dropped());
        server::append_metric(out, "callbox_echo_cancel_active", "gauge",
                              "1 when the settings put echo cancellation on the microphone.",
                              engine_->echo_cancel_active() ? 1 : 0);
        server::append_metric(out, "callbox_echo_cancel_running", "gauge",
                              "1 while echo cancellation runs on the microphone (in a call).",
                              engine_->echo_cancel_running() ? 1 : 0);
    }

    void write_devices(protocol::JsonWriter &w) const override
    {
        return engine_ ? engine_->write_devices(w) : off_.write_devices(w);
    }

    bool set_muted(bool audio, bool video, std::string &error) override
    {
        if (!engine_)
            return off_.set_muted(audio, video, error);
        engine_->set_muted(audio, video);
        return true;
    }

    bool set_echo_cancel(bool on, std::string &error) override
    {
        return engine_ ? engine_->set_echo_cancel(on, error) : off_.set_echo_cancel(on, error);
    }

    bool select_device(std::string_view kind, const std::string &id, std::string &error) override
    {
        return engine_ ? engine_->select_device(kind, id, error)
                       : off_.select_device(kind, id, error);
    }

    bool run_self_test(std::function<void(std::string)> done, std::string &error) override
    {
        if (!engine_)
            return off_.run_self_test(std::move(done), error);
        return engine_->start_self_test(
            [done = std::move(done)](const SelfTestReport &report) {
                protocol::JsonWriter w;
                report.write(w);
                done(w.take());
            },
            error);
    }

    void show_idle_screen(const std::string &name, const std::string &link,
                          const std::string &fingerprint) override
    {
        if (engine_)
            engine_->show_idle_screen(name, link, fingerprint);
    }

    bool publish(const std::string &key, sfu::PublisherSink &sink, std::string &error) override
    {
        if (!engine_)
            error = "the device's media is shut down";
        return engine_ && engine_->publish(key, sink, error);
    }
    void answer(const std::string &key, const std::string &sdp) override
    {
        if (engine_)
            engine_->answer(key, sdp);
    }
    void unpublish(const std::string &key) override
    {
        if (engine_)
            engine_->unpublish(key);
    }

    void whep_offer(const std::string &resource, const std::string &offer,
                    std::function<void(server::WhepReply)> done) override
    {
        if (!engine_)
            return off_.whep_offer(resource, offer, std::move(done));
        engine_->whep_offer(resource, offer, std::move(done));
    }
    unsigned whep_patch(const std::string &resource, std::string_view sdpfrag,
                        std::string &message) override
    {
        return engine_ ? engine_->whep_patch(resource, sdpfrag, message)
                       : off_.whep_patch(resource, sdpfrag, message);
    }
    bool whep_end(const std::string &resource) override
    {
        return engine_ && engine_->whep_end(resource);
    }

    void set_ice(const config::IceSettings &ice) override
    {
        if (engine_)
            engine_->set_ice(ice);
    }
    void set_room_delay(unsigned ms) override
    {
        if (engine_)
            engine_->set_room_delay(ms);
    }

    void shut_down() override
    {
        registry_.set_device_peer(nullptr);
        engine_.reset();
    }

private:
    rooms::RoomRegistry &registry_;
    std::unique_ptr<MediaEngine> engine_; // null once shut down
    server::NoMedia off_;                 // what the device says after that
};

} // namespace

int run_self_test_command(const config::Config &config)
{
    gst_init(nullptr, nullptr);
    std::printf(
        "callboxd self-test: camera, microphone, speaker, screen and encoders (about 15 s)\n");
    std::fflush(stdout);
    const SelfTestReport report = run_self_test(config.media);
    std::fputs(report.table().c_str(), stdout);
    return report.ok() ? 0 : 1;
}

int run_render_idle_text(const char *dir, const std::vector<std::string> &args)
{
    gst_init(nullptr, nullptr);
    if (args.size() != 3) {
        std::fprintf(stderr, "callboxd: --render-idle-text DIR -- WIDTH HEIGHT TEXT\n");
        return 2;
    }
    return run_render_idle_text_command(dir, std::atoi(args[0].c_str()), std::atoi(args[1].c_str()),
                                        args[2]);
}

std::unique_ptr<server::MediaControl> start_media(const config::Config &config,
                                                  rooms::Outbox &outbox,
                                                  rooms::RoomRegistry &registry, std::string &error)
{
    if (!config.media_enabled)
        return std::make_unique<server::NoMedia>();
    gst_init(nullptr, nullptr);
    // Files that only work together and do not fit: refuse to start, never run without them.
    MediaSettings settings = config.media;
    resolve_sources(settings);
    if (auto why = check_pairs(settings)) {
        error = *why;
        return nullptr;
    }
    return std::make_unique<DeviceMedia>(config.media, outbox, registry);
}

} // namespace callbox::media
