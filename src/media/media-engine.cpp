// MediaEngine: offers in, answers out; the pipeline runs only while a call exists (no call,
// no camera); a pipeline error ends the calls it hit and leaves the daemon running.
#include "media/media-engine.hpp"

#include "media/call-session.hpp"
#include "media/gst-elements.hpp"
#include "protocol/encode.hpp"
#include "protocol/json-reader.hpp"
#include "util/glib-ptr.hpp"

#include <optional>

GST_DEBUG_CATEGORY_STATIC(engine_debug);
#define GST_CAT_DEFAULT engine_debug

namespace callbox::media {

using protocol::JsonValue;

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
    if (warmup_)
        g_thread_join(warmup_);
    if (monitor_) {
        gst_device_monitor_stop(monitor_);
        gst_object_unref(monitor_);
    }
    for (auto &[peer, call] : calls_)
        call->finish("ended"); // the device is going away: every caller hears it
    calls_.clear();
    stop_pipeline();
    g_main_context_unref(context_);
}

bool MediaEngine::init(std::string &error)
{
    registry_.set_device_media(!settings_.audio_muted, !settings_.video_muted);
    resolve_sources(settings_);
    current_video_ = settings_.video_source == "test" ? "test" : settings_.video_device;
    current_audio_ = settings_.audio_source == "test" ? "test" : settings_.audio_device;
    if (!check_required_elements(error)) {
        init_error_ = error;
        return false;
    }
    // The first webrtcbin of a process makes its DTLS certificate (0.5–1.8 s); do it now, off
    // the main thread, so the first call does not wait for it.
    monitor_ = gst_device_monitor_new();
    gst_device_monitor_add_filter(monitor_, "Video/Source", nullptr);
    gst_device_monitor_add_filter(monitor_, "Audio/Source", nullptr);
    if (!gst_device_monitor_start(monitor_))
        GST_INFO("no device providers: only the built-in test sources are listed");
    warmup_ = g_thread_new(
        "dtls-warmup",
        [](gpointer) -> gpointer {
            if (GstElement *e = gst_element_factory_make("dtlsdec", nullptr))
                gst_object_unref(gst_object_ref_sink(e));
            return nullptr;
        },
        nullptr);
    return true;
}

void MediaEngine::post(std::uint64_t serial, std::function<void(CallSession &)> job, guint delay_ms)
{
    struct Job {
        MediaEngine *engine;
        std::uint64_t serial;
        std::function<void(CallSession &)> fn;
    };
    GSource *source = delay_ms ? g_timeout_source_new(delay_ms) : g_idle_source_new();
    g_source_set_priority(source, G_PRIORITY_HIGH);
    g_source_set_callback(
        source,
        [](gpointer data) -> gboolean {
            auto *job = static_cast<Job *>(data);
            if (CallSession *call = job->engine->find(job->serial)) {
                job->fn(*call);
                job->engine->remove_finished();
            }
            return G_SOURCE_REMOVE;
        },
        new Job{this, serial, std::move(job)},
        [](gpointer data) { delete static_cast<Job *>(data); });
    g_source_attach(source, context_);
    g_source_unref(source);
}

CallSession *MediaEngine::find(std::uint64_t serial)
{
    for (auto &[peer, call] : calls_)
        if (call->serial() == serial)
            return call.get();
    return nullptr;
}

void MediaEngine::refuse(rooms::PeerId to, protocol::ErrorCode code, std::string message)
{
    outbox_.send(to, protocol::encode::error({code, std::move(message), "signal"}));
}

void MediaEngine::signal(rooms::PeerId from, std::string_view data_json)
{
    std::string why;
    auto data = protocol::read_json(data_json, why);
    if (!data)
        return; // the protocol layer checked it already
    if (data->get("bye"))
        return end_call(from, "ended");

    if (const JsonValue *ice = data->get("ice")) {
        auto it = calls_.find(from);
        if (it == calls_.end())
            return;
        const JsonValue *index = ice->get("sdpMLineIndex");
        const JsonValue *mid = ice->get("sdpMid");
        it->second->add_remote_candidate(
            index && index->is_integer ? static_cast<int>(index->integer) : -1,
            mid && mid->is(JsonValue::Type::String) ? mid->string : "",
            ice->get("candidate")->string);
        return;
    }

    const JsonValue *sdp = data->get("sdp");
    if (!init_error_.empty())
        return refuse(from, protocol::ErrorCode::MediaError,
                      "the device cannot call: " + init_error_);
    if (sdp->get("type")->string != "offer")
        return refuse(from, protocol::ErrorCode::MediaError,
                      "the device answers calls; send it an offer, not an answer");
    // A new offer from a caller replaces its call (a renegotiation or a retry), quietly: the
    // browser already waits for the answer to this offer.
    if (calls_.erase(from) == 0 && calls_.size() >= settings_.max_calls)
        return refuse(from, protocol::ErrorCode::Busy,
                      "the device is already in " + std::to_string(calls_.size()) +
                          " calls; try again later");
    const std::string &offer = sdp->get("sdp")->string;
    OfferPlan plan = plan_offer(offer, why);
    if (!why.empty())
        return refuse(from, protocol::ErrorCode::MediaError, why);
    if (!pipeline_ && !start_pipeline(why)) {
        g_warning("media: %s", why.c_str());
        degraded_ = true;
        return refuse(from, protocol::ErrorCode::MediaError, "the device cannot call: " + why);
    }
    auto call = std::make_unique<CallSession>(*this, from, next_serial_++);
    outbox_.send(from, protocol::encode::call_state(protocol::kDevicePeerId, "connecting"));
    if (!call->start(pipeline_, *capture_, *playback_, plan, offer, why)) {
        g_warning("media: call with %s: %s", rooms::RoomRegistry::peer_name(from).c_str(),
                  why.c_str());
        refuse(from, protocol::ErrorCode::MediaError, "the device could not use the offer: " + why);
        call->finish("failed");
        call.reset();
        if (calls_.empty())
            stop_pipeline();
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
    if (calls_.empty())
        stop_pipeline();
}

void MediaEngine::remove_finished()
{
    std::erase_if(calls_, [](const auto &entry) { return entry.second->finished(); });
    if (calls_.empty())
        stop_pipeline();
}

void MediaEngine::show_idle_screen(std::string name, std::string link)
{
    idle_name_ = std::move(name);
    idle_link_ = std::move(link);
    if (!pipeline_)
        start_idle_screen();
}

void MediaEngine::start_idle_screen()
{
    idle_.reset(); // the display is one: stop the old picture first
    if (idle_link_.empty() || !init_error_.empty())
        return;
    std::string error;
    idle_ = IdleScreen::start(settings_, idle_name_, idle_link_, error);
    if (!idle_)
        g_warning("media: no idle screen: %s", error.c_str());
}

bool MediaEngine::start_pipeline(std::string &error)
{
    idle_.reset(); // a call takes the screen
    pipeline_ = GST_PIPELINE(gst_pipeline_new("callbox-media"));
    capture_ = CaptureGraph::create(pipeline_, settings_, error);
    if (capture_)
        playback_ = PlaybackMixer::create(pipeline_, settings_, error);
    if (!playback_) {
        stop_pipeline();
        return false;
    }
    GstBus *bus = gst_pipeline_get_bus(pipeline_);
    bus_watch_ = gst_bus_add_watch(
        bus,
        [](GstBus *, GstMessage *message, gpointer self) -> gboolean {
            static_cast<MediaEngine *>(self)->on_bus_message(message);
            return G_SOURCE_CONTINUE;
        },
        this);
    gst_object_unref(bus);
    if (gst_element_set_state(GST_ELEMENT(pipeline_), GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE) {
        error = "the capture pipeline does not start (is the camera or microphone busy?)";
        stop_pipeline();
        return false;
    }
    capture_started_us_ = g_get_monotonic_time();
    g_message("media: capturing (%s camera, %s microphone)", capture_->video_source().c_str(),
              capture_->audio_source().c_str());
    return true;
}

void MediaEngine::stop_pipeline()
{
    if (!pipeline_)
        return;
    gst_element_set_state(GST_ELEMENT(pipeline_), GST_STATE_NULL);
    if (bus_watch_)
        g_source_remove(bus_watch_);
    bus_watch_ = 0;
    capture_.reset();
    playback_.reset();
    gst_object_unref(pipeline_);
    pipeline_ = nullptr;
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
    GST_DEBUG_BIN_TO_DOT_FILE_WITH_TS(GST_BIN(pipeline_), GST_DEBUG_GRAPH_SHOW_ALL,
                                      "callbox-error");
    // Which call does the failing element belong to? Its ancestor right under the pipeline.
    GstObject *top = GST_MESSAGE_SRC(message);
    while (top && GST_OBJECT_PARENT(top) && GST_OBJECT_PARENT(top) != GST_OBJECT(pipeline_))
        top = GST_OBJECT_PARENT(top);
    for (auto &[peer, call] : calls_)
        if (call->webrtcbin() && GST_OBJECT_PARENT(call->webrtcbin()) == top) {
            refuse(peer, protocol::ErrorCode::MediaError,
                   std::string("the call broke: ") + err->message);
            return end_call(peer, "failed");
        }
    // The shared part failed: every call ends, and the next call starts afresh.
    degraded_ = true;
    ++pipeline_restarts_;
    for (auto &[peer, call] : calls_) {
        refuse(peer, protocol::ErrorCode::MediaError,
               std::string("the device's media failed: ") + err->message);
        call->finish("failed");
    }
    calls_.clear();
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

namespace {

std::string device_path(GstDevice *device)
{
    g_autoptr(GstStructure) props = gst_device_get_properties(device);
    const char *path = props ? gst_structure_get_string(props, "device.path") : nullptr;
    if (!path && props)
        path = gst_structure_get_string(props, "api.v4l2.path");
    return path ? path : "";
}

// The ALSA device string (e.g. "hw:1,0") of a microphone the monitor found, for alsasrc.
std::optional<std::string> alsa_device(GstDevice *device)
{
    GstElement *element = gst_device_create_element(device, nullptr);
    if (!element)
        return std::nullopt;
    gst_object_ref_sink(element);
    std::optional<std::string> out;
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(element), "device")) {
        GCharPtr name;
        char *raw = nullptr;
        g_object_get(element, "device", &raw, nullptr);
        name.reset(raw);
        if (name)
            out = name.get();
    }
    gst_object_unref(element);
    return out;
}

} // namespace

void MediaEngine::write_devices(protocol::JsonWriter &w) const
{
    GList *devices = monitor_ ? gst_device_monitor_get_devices(monitor_) : nullptr;
    w.begin_object();
    for (const char *kind : {"cameras", "microphones"}) {
        const bool camera = kind[0] == 'c';
        w.key(kind).begin_array();
        const bool test_current =
            camera ? settings_.video_source == "test" : settings_.audio_source == "test";
        w.begin_object()
            .member("id", "test")
            .member("name", camera ? "Test pattern (built in)" : "Test tone (built in)")
            .member("current", test_current)
            .end_object();
        for (GList *l = devices; l; l = l->next) {
            auto *device = GST_DEVICE(l->data);
            if (!gst_device_has_classes(device, camera ? "Video/Source" : "Audio/Source"))
                continue;
            GCharPtr name(gst_device_get_display_name(device));
            const std::string path = device_path(device);
            const bool current =
                camera ? (!test_current && path == settings_.video_device)
                       : (!test_current && std::string(name.get()) == settings_.audio_device);
            w.begin_object()
                .member("id", std::string_view(name.get()))
                .member("name", std::string_view(name.get()))
                .member("current", current)
                .end_object();
        }
        w.end_array();
    }
    w.end_object();
    g_list_free_full(devices, gst_object_unref);
}

bool MediaEngine::select_device(std::string_view kind, const std::string &id, std::string &error)
{
    const bool camera = kind == "camera";
    MediaSettings next = settings_;
    if (id == "test") {
        (camera ? next.video_source : next.audio_source) = "test";
    } else {
        GList *devices = monitor_ ? gst_device_monitor_get_devices(monitor_) : nullptr;
        bool found = false;
        for (GList *l = devices; l && !found; l = l->next) {
            auto *device = GST_DEVICE(l->data);
            GCharPtr name(gst_device_get_display_name(device));
            if (id != name.get() ||
                !gst_device_has_classes(device, camera ? "Video/Source" : "Audio/Source"))
                continue;
            found = true;
            if (camera) {
                next.video_source = "v4l2";
                next.video_device = device_path(device);
            } else {
                next.audio_source = "alsa";
                next.audio_device = alsa_device(device).value_or(id);
            }
        }
        g_list_free_full(devices, gst_object_unref);
        if (!found) {
            error = "no " + std::string(kind) + " called '" + id + "' is connected";
            return false;
        }
    }
    if (capture_ && !capture_->switch_source(camera, next, error))
        return false;
    settings_ = next;
    current_video_ = settings_.video_source == "test" ? "test" : settings_.video_device;
    current_audio_ = settings_.audio_source == "test" ? "test" : settings_.audio_device;
    g_message("media: the %s is now %s", camera ? "camera" : "microphone", id.c_str());
    return true;
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
        out.push_back({rooms::RoomRegistry::peer_name(peer), call->state(), call->video_codec(),
                       c.video_frames_in, c.audio_buffers_in, c.video_frames_out, clock.median_ms,
                       clock.p95_ms, clock.samples, live.bitrate_in_kbps, live.bitrate_out_kbps,
                       live.rtt_ms, live.packet_loss, live.fps_in, live.fps_out,
                       call->webrtcbin()});
    }
    return out;
}

} // namespace callbox::media
