// MediaEngine: offers in, answers out; the pipeline runs only while a call exists (no call,
// no camera); a pipeline error ends the calls it hit and leaves the daemon running.
#include "media/media-engine.hpp"

#include "media/call-session.hpp"
#include "media/gst-elements.hpp"
#include "media/pipeline-pairs.hpp"
#include "media/sfu-publication.hpp"
#include "media/video-source.hpp"
#include "protocol/encode.hpp"
#include "util/glib-ptr.hpp"

#include <cmath>
#include <optional>

GST_DEBUG_CATEGORY_STATIC(engine_debug);
#define GST_CAT_DEFAULT engine_debug

namespace callbox::media {

MediaEngine::MediaEngine(MediaSettings settings, rooms::Outbox &outbox,
                         rooms::RoomRegistry &registry)
    : settings_(std::move(settings)), outbox_(outbox), registry_(registry),
      context_(g_main_context_ref_thread_default())
{
    GST_DEBUG_CATEGORY_INIT(engine_debug, "callbox-media", 0, "callbox media engine");
}

MediaEngine::~MediaEngine()
{
    idle_link_.clear(); // no idle screen after the last call while shutting down
    // Exiting while the warm-up thread is inside OpenSSL would crash the process.
    if (warmup_.joinable())
        warmup_.join();
    monitor_watch_.reset();
    monitor_.reset();
    for (auto &[peer, call] : calls_)
        call->finish("ended"); // the device is going away: every caller hears it
    calls_.clear();
    publications_.clear();
    stop_pipeline();
}

void MediaEngine::stop_monitor(GstDeviceMonitor *monitor)
{
    gst_device_monitor_stop(monitor);
    gst_object_unref(monitor);
}

bool MediaEngine::init(std::string &error)
{
    registry_.set_device_media(!settings_.audio_muted, !settings_.video_muted);
    resolve_sources(settings_);
    if (!check_required_elements(error)) {
        init_error_ = error;
        return false;
    }
    h264_ = choose_h264_encoder(settings_);
    camera_mode_ = plan_video_source(settings_).summary;
    g_message("media: camera %s; H.264 encoder %s", camera_mode_.c_str(), h264_.summary.c_str());
    skip_unused_device_providers();
    monitor_.reset(gst_device_monitor_new());
    gst_device_monitor_add_filter(monitor_.get(), "Video/Source", nullptr);
    gst_device_monitor_add_filter(monitor_.get(), "Audio/Source", nullptr);
    if (!gst_device_monitor_start(monitor_.get()))
        GST_INFO("no device providers: only the built-in test sources are listed");
    // A camera or microphone plugged in: one that is unavailable is tried at once.
    BusPtr monitor_bus = adopt(gst_device_monitor_get_bus(monitor_.get()));
    monitor_watch_.reset(gst_bus_add_watch(
        monitor_bus.get(),
        [](GstBus *, GstMessage *message, gpointer self) -> gboolean {
            auto *engine = static_cast<MediaEngine *>(self);
            if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_DEVICE_ADDED && engine->capture_)
                engine->capture_->retry_now();
            return G_SOURCE_CONTINUE;
        },
        this));
    // The first webrtcbin of a process makes its DTLS certificate (0.5–1.8 s); do it now, off
    // the main thread, so the first call does not wait for it, nor for the plug-ins it loads.
    // (This once broke the SFU publication: with the plug-ins loaded, its offer was made before
    // the Opus payloader's caps arrived and said "OPUS/48000", which Janus refused; the send
    // caps now say opus/48000/2 themselves, send-branch.cpp.)
    warmup_ = std::jthread(warm_up_call_elements);
    return true;
}

void MediaEngine::post_main(std::function<void()> job, guint delay_ms)
{
    struct Job {
        std::weak_ptr<int> alive; // the engine's: a job that outlives it does nothing
        std::function<void()> fn;
    };
    GSourcePtr source(delay_ms ? g_timeout_source_new(delay_ms) : g_idle_source_new());
    g_source_set_priority(source.get(), G_PRIORITY_HIGH);
    g_source_set_callback(
        source.get(),
        [](gpointer data) -> gboolean {
            auto *job = static_cast<Job *>(data);
            if (!job->alive.expired())
                job->fn();
            return G_SOURCE_REMOVE;
        },
        new Job{alive_, std::move(job)}, [](gpointer data) { delete static_cast<Job *>(data); });
    g_source_attach(source.get(), context_.get());
}

void MediaEngine::post(std::uint64_t serial, std::function<void(CallSession &)> job, guint delay_ms)
{
    post_main(
        [this, serial, job = std::move(job)] {
            if (CallSession *call = find(serial)) {
                job(*call);
                remove_finished();
            }
        },
        delay_ms);
}

void MediaEngine::post_publication(const std::string &key, std::uint64_t serial,
                                   std::function<void(SfuPublication &)> job)
{
    post_main([this, key, serial, job = std::move(job)] {
        auto it = publications_.find(key);
        if (it != publications_.end() && it->second->serial() == serial)
            job(*it->second); // which may end the publication (unpublish())
    });
}

bool MediaEngine::publish(const std::string &key, sfu::PublisherSink &sink, std::string &error)
{
    if (!init_error_.empty()) {
        error = init_error_;
        return false;
    }
    unpublish(key);
    if (!pipeline_ && !start_pipeline(error))
        return false;
    auto publication = std::make_unique<SfuPublication>(*this, key, sink, next_serial_++);
    if (!publication->start(GST_BIN(pipeline_.get()), *capture_, error)) {
        publication.reset();
        stop_if_unused();
        return false;
    }
    publications_.emplace(key, std::move(publication));
    g_message("media: publishing into the SFU room of '%s'", key.c_str());
    return true;
}

void MediaEngine::answer(const std::string &key, const std::string &sdp)
{
    if (auto it = publications_.find(key); it != publications_.end())
        it->second->answer(sdp);
}

void MediaEngine::unpublish(const std::string &key)
{
    if (publications_.erase(key))
        stop_if_unused();
}

void MediaEngine::stop_if_unused()
{
    if (calls_.empty() && publications_.empty())
        stop_pipeline();
    else if (capture_)
        capture_->stop_unused_encoders();
}

CallSession *MediaEngine::find(std::uint64_t serial)
{
    for (auto &[peer, call] : calls_)
        if (call->serial() == serial)
            return call.get();
    return nullptr;
}

namespace {

// A call's messages to its browser, through the rooms' outbox.
class OutboxSignalling final : public CallSignalling
{
public:
    OutboxSignalling(rooms::Outbox &outbox, rooms::PeerId peer) : outbox_(outbox), peer_(peer) {}

    void signal(const protocol::SignalData &data) override
    {
        outbox_.send(peer_, protocol::encode::signal(protocol::kDevicePeerId, data));
    }
    void state(std::string_view state) override
    {
        outbox_.send(peer_, protocol::encode::call_state(protocol::kDevicePeerId, state));
    }
    void error(protocol::ErrorCode code, std::string message) override
    {
        outbox_.send(peer_, protocol::encode::error({code, std::move(message), "signal"}));
    }

private:
    rooms::Outbox &outbox_;
    rooms::PeerId peer_;
};

template <typename... F> struct Overloaded : F... {
    using F::operator()...;
};

} // namespace

void MediaEngine::signal(rooms::PeerId from, const protocol::SignalData &data)
{
    std::visit(Overloaded{
                   [&](const protocol::Bye &) { end_call(from, "ended"); },
                   [&](const protocol::IceCandidate &ice) {
                       if (auto it = calls_.find(from); it != calls_.end())
                           it->second->add_remote_candidate(ice);
                   },
                   [&](const protocol::SessionDescription &sdp) {
                       offer(from, sdp, std::make_unique<OutboxSignalling>(outbox_, from));
                   },
               },
               data);
}

void MediaEngine::offer(rooms::PeerId from, const protocol::SessionDescription &sdp,
                        std::unique_ptr<CallSignalling> signalling)
{
    if (!init_error_.empty())
        return signalling->error(protocol::ErrorCode::MediaError,
                                 "the device cannot call: " + init_error_);
    if (self_testing_)
        return signalling->error(protocol::ErrorCode::Busy,
                                 "the device is running its self-test; try again in a few seconds");
    if (sdp.type != protocol::SessionDescription::Type::Offer)
        return signalling->error(protocol::ErrorCode::MediaError,
                                 "the device answers calls; send it an offer, not an answer");
    // Over the limits: a bad message, refused before anything is parsed further or built, and
    // the caller's running call (if any) goes on.
    if (sdp.sdp.size() > settings_.max_sdp_bytes)
        return signalling->error(protocol::ErrorCode::BadMessage,
                                 "the offer has " + std::to_string(sdp.sdp.size()) +
                                     " bytes; the device takes offers of at most " +
                                     std::to_string(settings_.max_sdp_bytes));
    std::string why;
    OfferPlan plan = plan_offer(sdp.sdp, why);
    if (plan.over_limit)
        return signalling->error(protocol::ErrorCode::BadMessage, why);
    // A new offer on a running call (an ICE restart, a renegotiation) is answered in place when
    // it fits the call; otherwise it replaces the call (a retry), quietly: the browser already
    // waits for the answer to this offer.
    if (auto it = calls_.find(from);
        why.empty() && it != calls_.end() && it->second->renegotiate(plan, sdp.sdp))
        return;
    if (calls_.erase(from) == 0 && calls_.size() >= settings_.max_calls)
        return signalling->error(protocol::ErrorCode::Busy, "the device is already in " +
                                                                std::to_string(calls_.size()) +
                                                                " calls; try again later");
    if (!why.empty())
        return signalling->error(protocol::ErrorCode::MediaError, why);
    if (!pipeline_ && !start_pipeline(why)) {
        g_warning("media: %s", why.c_str());
        degraded_ = true;
        return signalling->error(protocol::ErrorCode::MediaError, "the device cannot call: " + why);
    }
    auto call = std::make_unique<CallSession>(*this, std::move(signalling), from, next_serial_++);
    if (!call->start(GST_BIN(pipeline_.get()), *capture_, *playback_, plan, sdp.sdp, why)) {
        g_warning("media: call with %s: %s", rooms::RoomRegistry::peer_name(from).c_str(),
                  why.c_str());
        call->fail(protocol::ErrorCode::MediaError, "the device could not use the offer: " + why);
        call.reset();
        stop_if_unused();
        return;
    }
    calls_.emplace(from, std::move(call));
}

void MediaEngine::peer_gone(rooms::PeerId peer)
{
    end_call(peer, "ended");
}

void MediaEngine::end_call(rooms::PeerId peer, const char *state)
{
    auto it = calls_.find(peer);
    if (it == calls_.end())
        return;
    it->second->finish(state);
    calls_.erase(it);
    stop_if_unused();
}

void MediaEngine::remove_finished()
{
    std::erase_if(calls_, [](const auto &entry) { return entry.second->finished(); });
    stop_if_unused();
}

void MediaEngine::show_idle_screen(std::string name, std::string link, std::string fingerprint)
{
    idle_name_ = std::move(name);
    idle_link_ = std::move(link);
    idle_fingerprint_ = std::move(fingerprint);
    if (!pipeline_)
        start_idle_screen();
}

void MediaEngine::start_idle_screen()
{
    idle_.reset(); // the display is one: stop the old picture first
    if (idle_link_.empty() || !init_error_.empty() || self_testing_)
        return;
    std::string error;
    idle_ = IdleScreen::start(settings_, idle_name_, idle_link_, idle_fingerprint_, error);
    if (!idle_)
        g_warning("media: no idle screen: %s", error.c_str());
}

bool MediaEngine::start_pipeline(std::string &error)
{
    idle_.reset(); // a call takes the screen
    pipeline_ = new_pipeline("callbox-media");
    GstBin *bin = GST_BIN(pipeline_.get());
    capture_ = CaptureGraph::create(bin, settings_, error, h264_.file);
    if (capture_)
        camera_mode_ = capture_->camera_mode();
    if (capture_)
        playback_ = PlaybackMixer::create(bin, settings_, error);
    if (!playback_) {
        stop_pipeline();
        return false;
    }
    // The echo path is the room's and the speaker's: the last call's is the best first guess.
    playback_->echo_path()->start_from(last_echo_path_ms_);
    capture_->measure_echo_path(playback_->echo_path());
    BusPtr bus = adopt(gst_element_get_bus(pipeline_.get()));
    bus_watch_.reset(gst_bus_add_watch(
        bus.get(),
        [](GstBus *, GstMessage *message, gpointer self) -> gboolean {
            static_cast<MediaEngine *>(self)->on_bus_message(message);
            return G_SOURCE_CONTINUE;
        },
        this));
    if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        error = "the capture pipeline does not start (is the camera or microphone busy?)";
        stop_pipeline();
        return false;
    }
    capture_started_us_ = g_get_monotonic_time();
    bitrate_ =
        std::make_unique<BitrateController>(settings_.video_bitrate, settings_.min_video_bitrate);
    // The low layer climbs back in one step (×2 from the floor to its full rate): its calls go
    // up only once it has run at its full rate (call-layers.cpp), and in ×1.4 steps two samples
    // apart a call lowered behind a cap waited 6 s after the cap lifted before that could start.
    low_bitrate_ = std::make_unique<BitrateController>(settings_.low_video_bitrate,
                                                       settings_.min_video_bitrate, 2.0);
    low_full_before_ = true;
    adapt_timer_.reset(g_timeout_add(
        1000,
        [](gpointer self) -> gboolean {
            static_cast<MediaEngine *>(self)->sample_paths();
            return G_SOURCE_CONTINUE;
        },
        this));
    g_message("media: capturing (%s camera: %s; %s microphone)",
              config::name(capture_->video_source()).data(), camera_mode_.c_str(),
              config::name(capture_->audio_source()).data());
    return true;
}

void MediaEngine::stop_pipeline()
{
    if (!pipeline_)
        return;
    adapt_timer_.reset();
    adapt_decision_.reset();
    try_look_.reset();
    tries_.clear();
    bitrate_.reset();
    low_bitrate_.reset();
    gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
    bus_watch_.reset();
    if (capture_) {
        keyframes_forced_ += capture_->keyframes_forced();
        keyframe_requests_dropped_ += capture_->keyframe_requests_dropped();
    }
    capture_.reset();
    if (playback_ && !std::isnan(playback_->echo_path()->measured_ms()))
        last_echo_path_ms_ = playback_->echo_path()->measured_ms();
    playback_.reset();
    pipeline_.reset();
    g_message("media: no call, capture stopped");
    start_idle_screen();
}

void MediaEngine::on_bus_message(GstMessage *message)
{
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_WARNING) {
        g_autoptr(GError) err = nullptr;
        gst_message_parse_warning(message, &err, nullptr);
        GST_WARNING("%s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(message)), err->message);
        return;
    }
    if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ERROR)
        return;
    g_autoptr(GError) err = nullptr;
    g_autofree char *debug = nullptr;
    gst_message_parse_error(message, &err, &debug);
    g_warning("media: %s failed: %s (%s)", GST_OBJECT_NAME(GST_MESSAGE_SRC(message)), err->message,
              debug ? debug : "");
    GST_DEBUG_BIN_TO_DOT_FILE_WITH_TS(GST_BIN(pipeline_.get()), GST_DEBUG_GRAPH_SHOW_ALL,
                                      "callbox-error");
    // Which call does the failing element belong to? Its ancestor right under the pipeline.
    GstObject *top = GST_MESSAGE_SRC(message);
    while (top && GST_OBJECT_PARENT(top) && GST_OBJECT_PARENT(top) != GST_OBJECT(pipeline_.get()))
        top = GST_OBJECT_PARENT(top);
    for (auto &[key, publication] : publications_)
        if (GST_OBJECT(publication->bin()) == top)
            return publication->fail(err->message); // the hand-off unpublishes it
    // A camera or microphone that failed: the capture graph puts a placeholder in its place.
    if (capture_ && capture_->on_source_error(top))
        return;
    for (auto &[peer, call] : calls_)
        if (call->webrtcbin() && GST_OBJECT_PARENT(call->webrtcbin()) == top) {
            call->fail(protocol::ErrorCode::MediaError,
                       std::string("the call broke: ") + err->message);
            return end_call(peer, "failed");
        }
    // The shared part failed: every call ends, and the next call starts afresh.
    degraded_ = true;
    ++pipeline_restarts_;
    for (auto &[peer, call] : calls_)
        call->fail(protocol::ErrorCode::MediaError,
                   std::string("the device's media failed: ") + err->message);
    calls_.clear();
    // Each publication's hand-off hears it failed (and unpublishes it) before capture stops.
    for (auto it = publications_.begin(); it != publications_.end();)
        (it++)->second->fail(std::string("the device's media failed: ") + err->message);
    publications_.clear();
    stop_pipeline();
}

void MediaEngine::set_muted(bool audio, bool video)
{
    settings_.audio_muted = audio;
    settings_.video_muted = video;
    if (capture_)
        capture_->set_muted(audio, video);
    registry_.set_device_media(!audio, !video);
}

bool MediaEngine::set_echo_cancel(bool on, std::string &error)
{
    MediaSettings next = settings_;
    next.echo_cancel = on ? config::EchoCancel::On : config::EchoCancel::Off;
    if (auto why = check_pairs(next)) {
        error = *why;
        return false;
    }
    if (capture_ && !capture_->set_voice_processing(next, error))
        return false;
    settings_ = next;
    g_message("media: echo cancellation %s", on ? "on" : "off");
    return true;
}

namespace {

// The ALSA device string (e.g. "hw:1,0") of a microphone the monitor found, for alsasrc.
std::optional<std::string> alsa_device(GstDevice *device)
{
    ElementPtr element = sink(gst_device_create_element(device, nullptr));
    if (!element || !g_object_class_find_property(G_OBJECT_GET_CLASS(element.get()), "device"))
        return std::nullopt;
    char *raw = nullptr;
    g_object_get(element.get(), "device", &raw, nullptr);
    GCharPtr name(raw);
    return name ? std::optional<std::string>(name.get()) : std::nullopt;
}

std::string display_name(GstDevice *device)
{
    GCharPtr name(gst_device_get_display_name(device));
    return name ? name.get() : "";
}

} // namespace

std::vector<GObjectPtr<GstDevice>> MediaEngine::devices(bool cameras) const
{
    std::vector<GObjectPtr<GstDevice>> out;
    GList *list = monitor_ ? gst_device_monitor_get_devices(monitor_.get()) : nullptr;
    for (GList *l = list; l; l = l->next) {
        GObjectPtr<GstDevice> device = adopt(GST_DEVICE(l->data)); // the list's reference
        if (gst_device_has_classes(device.get(), cameras ? "Video/Source" : "Audio/Source"))
            out.push_back(std::move(device));
    }
    g_list_free(list);
    return out;
}

void MediaEngine::write_devices(protocol::JsonWriter &w) const
{
    w.begin_object();
    for (const char *kind : {"cameras", "microphones"}) {
        const bool camera = kind[0] == 'c';
        w.key(kind).begin_array();
        const bool test_current = camera ? settings_.video_source == config::VideoSource::Test
                                         : settings_.audio_source == config::AudioSource::Test;
        w.begin_object()
            .member("id", "test")
            .member("name", camera ? "Test pattern (built in)" : "Test tone (built in)")
            .member("current", test_current)
            .end_object();
        for (const auto &device : devices(camera)) {
            const std::string name = display_name(device.get());
            const bool current =
                !test_current && (camera ? device_path(device.get()) == settings_.video_device
                                         : name == settings_.audio_device);
            w.begin_object()
                .member("id", std::string_view(name))
                .member("name", std::string_view(name))
                .member("current", current)
                .end_object();
        }
        w.end_array();
    }
    w.end_object();
}

bool MediaEngine::select_device(std::string_view kind, const std::string &id, std::string &error)
{
    const bool camera = kind == "camera";
    MediaSettings next = settings_;
    if (id == "test") {
        if (camera)
            next.video_source = config::VideoSource::Test;
        else
            next.audio_source = config::AudioSource::Test;
    } else {
        bool found = false;
        for (const auto &device : devices(camera)) {
            if (found || id != display_name(device.get()))
                continue;
            found = true;
            if (camera) {
                next.video_source = config::VideoSource::V4l2;
                next.video_device = device_path(device.get());
            } else {
                next.audio_source = config::AudioSource::Alsa;
                next.audio_device = alsa_device(device.get()).value_or(id);
            }
        }
        if (!found) {
            error = "no " + std::string(kind) + " called '" + id + "' is connected";
            return false;
        }
    }
    if (auto why = check_pairs(next)) {
        error = *why;
        return false;
    }
    if (capture_ && !capture_->switch_source(camera, next, error))
        return false;
    settings_ = next;
    g_message("media: the %s is now %s", camera ? "camera" : "microphone", id.c_str());
    return true;
}

bool MediaEngine::start_self_test(std::function<void(const SelfTestReport &)> done,
                                  std::string &error)
{
    if (self_testing_) {
        error = "the self-test is already running";
        return false;
    }
    if (!calls_.empty()) {
        error = "the device is in a call; run the self-test when no call is active";
        return false;
    }
    self_testing_ = true;
    idle_.reset(); // the self-test shows its own frames on the screen
    struct Finish {
        MediaEngine *engine;
        std::weak_ptr<int> alive;
        std::function<void(const SelfTestReport &)> done;
        SelfTestReport report;
    };
    auto *finish = new Finish{this, alive_, std::move(done), {}};
    if (self_test_.joinable())
        self_test_.join();
    self_test_ = std::jthread([finish, settings = settings_, context = context_.get()] {
        finish->report = run_self_test(settings);
        g_main_context_invoke_full(
            context, G_PRIORITY_DEFAULT,
            [](gpointer data) -> gboolean {
                auto *f = static_cast<Finish *>(data);
                if (f->alive.expired())
                    return G_SOURCE_REMOVE;
                f->engine->self_testing_ = false;
                if (!f->engine->pipeline_)
                    f->engine->start_idle_screen();
                f->done(f->report);
                return G_SOURCE_REMOVE;
            },
            finish, [](gpointer data) { delete static_cast<Finish *>(data); });
    });
    return true;
}

void MediaEngine::sample_paths()
{
    // webrtcbin answers within milliseconds (its own thread, then this loop). Deciding on the
    // answers rather than at the next sample takes most of a second off every switch and
    // bitrate step: decided at the next sample, the reports read were a second old.
    for (const auto &[peer, call] : calls_)
        if (call->state() == "connected")
            call->request_path_report();
    adapt_decision_.reset(g_timeout_add(
        kDecideAfterMs,
        [](gpointer data) -> gboolean {
            auto *self = static_cast<MediaEngine *>(data);
            (void)self->adapt_decision_.release(); // this source ends by returning REMOVE
            self->adapt_bitrate();
            return G_SOURCE_REMOVE;
        },
        this));
}

void MediaEngine::adapt_bitrate()
{
    // Each layer's controller judges every call (the layer choice reads the top's), but only
    // the calls on its layer decide its bitrate.
    std::map<std::uint64_t, BitrateController::PathReport> top, low;
    for (const auto &[peer, call] : calls_) {
        if (call->state() != "connected")
            continue;
        const CallSession::PathReport &r = call->path_report();
        const bool on_low = call->layer() == Layer::Low;
        top[call->serial()] = {r.loss(), r.rtt_ms, !on_low, r.delivered_kbps()};
        low[call->serial()] = {r.loss(), r.rtt_ms, on_low, r.delivered_kbps()};
    }
    for (Layer layer : {Layer::Top, Layer::Low}) {
        BitrateController &controller = layer == Layer::Top ? *bitrate_ : *low_bitrate_;
        const unsigned before = controller.target_kbps();
        const unsigned target = controller.update(layer == Layer::Top ? top : low);
        if (target != before)
            apply_layer_bitrate(layer, before,
                                target < before ? "the path of every caller on it is constrained"
                                                : "paths are clear");
    }
    adapt_layers();
    // Fewer retransmissions for a call whose path queues, or that is constrained on the low
    // layer (the device has nothing lower to offer it; what it lost of a failed try of the top
    // layer is not worth sending again). The top's controller judges every call.
    for (const auto &[peer, call] : calls_) {
        const std::uint64_t id = call->serial();
        const bool spare = bitrate_->queueing(id) ||
                           (bitrate_->constrained(id) && layers_.layer(id) == Layer::Low);
        call->set_retransmission_share(spare ? RtxBudget::kShareQueueing : RtxBudget::kShare);
    }
}

void MediaEngine::apply_layer_bitrate(Layer layer, unsigned before, const char *why)
{
    const unsigned target =
        layer == Layer::Top ? bitrate_->target_kbps() : low_bitrate_->target_kbps();
    if (layer == Layer::Top)
        capture_->set_video_bitrate(target);
    else
        capture_->set_low_video_bitrate(target);
    g_message("media: video bitrate of the %s layer %u kbit/s (was %u: %s)",
              layer_name(layer).data(), target, before, why);
}

std::size_t MediaEngine::constrained_calls() const
{
    std::size_t n = 0;
    for (const auto &[peer, call] : calls_)
        n += bitrate_ && bitrate_->constrained(call->serial());
    return n;
}

double MediaEngine::capture_fps() const
{
    if (!capture_)
        return 0;
    const double seconds = (g_get_monotonic_time() - capture_started_us_) / 1e6;
    return seconds > 0 ? static_cast<double>(capture_->frames_captured()) / seconds : 0;
}

std::vector<CallInfo> MediaEngine::calls()
{
    std::vector<CallInfo> out;
    for (const auto &[peer, call] : calls_) {
        const auto &c = call->counters();
        const auto clock = call->clock_latency();
        const auto live = call->sample_stats();
        const CallSession::PathReport &path = call->path_report();
        const std::string name = peer >= kFirstWhepPeer
                                     ? "whep-" + std::to_string(peer - kFirstWhepPeer + 1)
                                     : rooms::RoomRegistry::peer_name(peer);
        out.push_back({name,
                       call->state(),
                       call->video_codec(),
                       c.video_frames_in,
                       c.audio_buffers_in,
                       c.video_frames_out,
                       clock.median_ms,
                       clock.p95_ms,
                       clock.samples,
                       live.bitrate_in_kbps,
                       live.bitrate_out_kbps,
                       live.rtt_ms,
                       live.packet_loss,
                       live.fps_in,
                       live.fps_out,
                       std::string(layer_name(call->layer())),
                       {path.fraction_lost, path.nack_ratio, path.rtt_ms, path.sent_kbps,
                        path.delivered_kbps(), bitrate_ && bitrate_->constrained(call->serial())},
                       call->webrtcbin(),
                       static_cast<double>(c.video_in_max_gap_us) / 1000.0,
                       {}});
        for (std::size_t i = 0; i < c.kGapBucketsMs.size(); ++i)
            out.back().video_in_gaps_over.emplace_back(c.kGapBucketsMs[i],
                                                       c.video_in_gaps_over[i].load());
    }
    return out;
}

} // namespace callbox::media
