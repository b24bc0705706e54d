// CaptureGraph: source selection (camera or test source), the clock stamp, encoders and tees.
#include "media/capture-graph.hpp"

#include "media/audio-clock.hpp"
#include "media/clock-pattern.hpp"
#include "media/encoder-choice.hpp"
#include "media/gst-elements.hpp"
#include "media/running-time.hpp"
#include "media/video-source.hpp"
#include "media/wall-clock-digits.hpp"

#include <glib.h>
#include <gst/audio/audio.h>

#include <cstring>

GST_DEBUG_CATEGORY_STATIC(capture_debug);
#define GST_CAT_DEFAULT capture_debug

namespace callbox::media {

namespace {

// GStreamer 1.22's `volume` passes a buffer flagged GAP untouched, muted or not ("don't process
// data with GAP", volume_transform_ip). A buffer that went into the voice processing as silence
// flagged GAP can come out carrying sound with the flag still set, and the muted device sent it
// (echo-room's MuteStillMutesWithEchoCancellation read a peak of 8909, once in many runs under
// load). The flag is cleared before the volume, which sets it again on what it silences.
GstPadProbeReturn clear_gap(GstPad *, GstPadProbeInfo *info, gpointer)
{
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_GAP)) {
        buffer = gst_buffer_make_writable(buffer);
        GST_BUFFER_FLAG_UNSET(buffer, GST_BUFFER_FLAG_GAP);
        GST_PAD_PROBE_INFO_DATA(info) = buffer;
    }
    return GST_PAD_PROBE_OK;
}

bool have_alsa_capture()
{
    // /proc/asound/pcm lists "capture" devices; without a sound card it does not exist.
    g_autofree char *pcm = nullptr;
    return g_file_get_contents("/proc/asound/pcm", &pcm, nullptr, nullptr) &&
           std::strstr(pcm, "capture") != nullptr;
}

// Links a chain of elements already in the same bin; false when any link fails.
bool link_chain(std::initializer_list<GstElement *> chain, std::string &error)
{
    GstElement *prev = nullptr;
    for (GstElement *e : chain) {
        if (prev && !gst_element_link(prev, e)) {
            error =
                std::string("cannot link ") + GST_ELEMENT_NAME(prev) + " to " + GST_ELEMENT_NAME(e);
            return false;
        }
        prev = e;
    }
    return true;
}

// add_encoder() names its chain after the file: "<file>-<n>" (the encoder), then "-queue" and
// "-tee"; the encoder's name, from its tee's.
std::string encoder_name(GstElement *tee)
{
    std::string name = GST_ELEMENT_NAME(tee);
    name.resize(name.size() - std::string_view("-tee").size());
    return name;
}

} // namespace

void resolve_sources(MediaSettings &s)
{
    using config::AudioSource;
    s.video_source = resolve_video_source(s);
    if (s.audio_source == AudioSource::Auto)
        s.audio_source = have_alsa_capture() ? AudioSource::Alsa : AudioSource::Test;
}

std::unique_ptr<CaptureGraph> CaptureGraph::create(GstBin *pipeline, const MediaSettings &settings,
                                                   std::string &error, std::string h264_file)
{
    GST_DEBUG_CATEGORY_INIT(capture_debug, "callbox-capture", 0, "callbox capture graph");
    std::unique_ptr<CaptureGraph> graph(new CaptureGraph(pipeline, settings));
    graph->h264_file_ =
        h264_file.empty() ? choose_h264_encoder(settings).file : std::move(h264_file);
    if (!graph->build(error))
        return nullptr;
    return graph;
}

bool CaptureGraph::build(std::string &error)
{
    const MediaSettings &s = settings_;
    resolve_sources(settings_);
    stamp_clock_ = s.clock_pattern == config::ClockPattern::On ||
                   (s.clock_pattern == config::ClockPattern::Auto &&
                    s.video_source == config::VideoSource::Test);
    video_muted_ = s.video_muted;

    const VideoSourcePlan plan = plan_video_source(settings_);
    test_camera_ = plan.source == config::VideoSource::Test;
    settings_.framerate = plan.framerate; // a camera slower than asked sets the graph's rate
    camera_mode_ = plan.summary;
    const Variables vars = pipeline_variables(s);
    ElementPtr vsrc = load_video_source(settings_, plan, error);
    ElementPtr convert = vsrc ? make_element("videoconvert", "capture-convert", error) : nullptr;
    ElementPtr scale = convert ? make_element("videoscale", "capture-scale", error) : nullptr;
    ElementPtr caps = scale ? make_element("capsfilter", "capture-caps", error) : nullptr;
    ElementPtr tee = caps ? make_element("tee", "raw-video-tee", error) : nullptr;
    if (!tee)
        return false;
    gst_video_info_set_format(&video_info_, GST_VIDEO_FORMAT_I420, s.width, s.height);
    CapsPtr raw(gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width",
                                    G_TYPE_INT, s.width, "height", G_TYPE_INT, s.height,
                                    "framerate", GST_TYPE_FRACTION, s.framerate, 1, nullptr));
    g_object_set(caps.get(), "caps", raw.get(), nullptr);
    g_object_set(tee.get(), "allow-not-linked", TRUE, nullptr);
    gst_bin_add_many(pipeline_, vsrc.get(), convert.get(), scale.get(), caps.get(), tee.get(),
                     nullptr);
    if (!link_chain({vsrc.get(), convert.get(), scale.get(), caps.get(), tee.get()}, error))
        return false;
    gst_pad_add_probe(static_pad(caps.get(), "src").get(), GST_PAD_PROBE_TYPE_BUFFER, on_raw_frame,
                      this, nullptr);
    raw_tee_ = std::move(tee);
    video_src_ = std::move(vsrc);
    video_entry_ = std::move(convert);

    if (s.encoders == config::Encoders::Shared &&
        !(h264_tee_ = add_encoder(h264_file_, raw_tee_.get(), error)))
        return false;

    // Microphone → voice processing (when the settings want it) → mute → tee. Mute comes after
    // the processor, so a muted device sends silence whatever the gain control does.
    ElementPtr asrc = load_source_file(s.pipelines_dir, source_file(s.audio_source), vars, error);
    ElementPtr voice;
    if (asrc && config::voice_processing(s) &&
        !(voice = load_pipeline_file(s.pipelines_dir, kVoiceProcessingFile, vars, error)))
        return false;
    ElementPtr aconvert =
        asrc ? make_element("audioconvert", "capture-audioconvert", error) : nullptr;
    ElementPtr volume = aconvert ? make_element("volume", "capture-volume", error) : nullptr;
    ElementPtr atee = volume ? make_element("tee", "audio-source-tee", error) : nullptr;
    if (!atee)
        return false;
    g_object_set(volume.get(), "mute", s.audio_muted, nullptr);
    gst_pad_add_probe(static_pad(volume.get(), "sink").get(), GST_PAD_PROBE_TYPE_BUFFER, clear_gap,
                      nullptr, nullptr);
    g_object_set(atee.get(), "allow-not-linked", TRUE, nullptr);
    gst_bin_add_many(pipeline_, asrc.get(), aconvert.get(), volume.get(), atee.get(), nullptr);
    if (voice)
        gst_bin_add(pipeline_, voice.get());
    if (!link_chain({asrc.get(), voice ? voice.get() : aconvert.get()}, error) ||
        (voice && !link_chain({voice.get(), aconvert.get()}, error)) ||
        !link_chain({aconvert.get(), volume.get(), atee.get()}, error))
        return false;
    audio_src_ = std::move(asrc);
    voice_ = std::move(voice);
    echo_cancelling_ = voice_ && config::echo_cancel_active(s);
    audio_clock_ = wants_audio_clock(s);
    gst_pad_add_probe(static_pad(aconvert.get(), "sink").get(), GST_PAD_PROBE_TYPE_BUFFER,
                      on_raw_audio, this, nullptr);
    audio_entry_ = std::move(aconvert);
    volume_ = std::move(volume);
    audio_tee_ = std::move(atee);
    watch_sources();
    return s.encoders != config::Encoders::Shared ||
           (opus_tee_ = add_encoder("audio-encoder-opus", audio_tee_.get(), error)) != nullptr;
}

ElementPtr CaptureGraph::add_encoder(const std::string &file, GstElement *upstream_tee,
                                     std::string &error)
{
    const MediaSettings &s = settings_;
    if (file.empty()) {
        error = "no H.264 encoder works (see the log, or run callboxd --self-test)";
        return nullptr;
    }
    ElementPtr encoder = load_pipeline_file(s.pipelines_dir, file, pipeline_variables(s), error);
    if (!encoder)
        return nullptr;
    const std::string name = file + "-" + std::to_string(encoders_);
    gst_element_set_name(encoder.get(), name.c_str());
    ElementPtr queue = make_element("queue", (name + "-queue").c_str(), error);
    ElementPtr tee = queue ? make_element("tee", (name + "-tee").c_str(), error) : nullptr;
    if (!tee)
        return nullptr;
    // A small leaky queue: an encoder that falls behind drops raw frames, never adds delay.
    g_object_set(queue.get(), "max-size-buffers", 2, "max-size-bytes", 0, "max-size-time",
                 G_GUINT64_CONSTANT(0), "leaky", 2, nullptr);
    g_object_set(tee.get(), "allow-not-linked", TRUE, nullptr);
    gst_bin_add_many(pipeline_, queue.get(), encoder.get(), tee.get(), nullptr);
    // The branch plays before it joins the raw tee: while capture runs, a frame the tee pushes
    // into a queue not yet playing comes back FLUSHING, which the tee (GStreamer 1.22) returns
    // to the camera's thread, which stops (media-engine's TestSourcesIntoFakesink under ASan: no
    // VP8 frame in 60 s; in the daemon the stall watchdog would restart the camera).
    if (!link_chain({queue.get(), encoder.get(), tee.get()}, error))
        return nullptr;
    for (GstElement *e : {tee.get(), encoder.get(), queue.get()})
        gst_element_sync_state_with_parent(e);
    if (!link_chain({upstream_tee, queue.get()}, error))
        return nullptr;
    auto gate = std::make_unique<KeyframeGate>();
    PadPtr tee_sink = static_pad(tee.get(), "sink");
    stamp_in_running_time(tee_sink.get()); // every encoder's stream in one segment
    gst_pad_add_probe(tee_sink.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_upstream_event,
                      gate.get(), nullptr);
    gates_[tee.get()] = {std::move(tee_sink), std::move(gate)};
    ++encoders_;
    GST_INFO("encoder %s added", name.c_str());
    return tee;
}

GstElement *CaptureGraph::tee_for(Codec codec, std::string &error)
{
    // Shared: one encoder per codec, made once. Per call (the naive baseline for the
    // benchmark): a new encoder every time, kept (by the pipeline) until capture stops.
    const bool shared = settings_.encoders == config::Encoders::Shared;
    auto per_call = [&](const char *file, const ElementPtr &upstream) {
        return add_encoder(file, upstream.get(), error).get();
    };
    switch (codec) {
    case Codec::H264:
        return shared ? h264_tee_.get() : per_call(h264_file_.c_str(), raw_tee_);
    case Codec::Opus:
        return shared ? opus_tee_.get() : per_call("audio-encoder-opus", audio_tee_);
    case Codec::VP8:
        if (!shared)
            return per_call("video-encoder-vp8", raw_tee_);
        if (!vp8_tee_)
            vp8_tee_ = add_encoder("video-encoder-vp8", raw_tee_.get(), error);
        return vp8_tee_.get();
    case Codec::None:
        break;
    }
    error = "no stream for that codec";
    return nullptr;
}

GstElement *CaptureGraph::low_h264_tee(std::string &error)
{
    if (settings_.encoders != config::Encoders::Shared || h264_file_.empty()) {
        error = "no low layer: encoders are per call";
        return nullptr;
    }
    if (!low_h264_tee_) {
        low_h264_tee_ = add_encoder(h264_file_ + "-low", raw_tee_.get(), error);
        if (low_h264_tee_ && low_kbps_ != 0)
            set_encoder_bitrates(low_kbps_, true);
    }
    return low_h264_tee_.get();
}

void CaptureGraph::stop_unused_encoders()
{
    stop_if_unused(vp8_tee_);
    stop_if_unused(low_h264_tee_);
}

void CaptureGraph::stop_if_unused(ElementPtr &tee_ptr)
{
    GstElement *tee = tee_ptr.get();
    if (!tee || settings_.encoders != config::Encoders::Shared || GST_ELEMENT(tee)->numsrcpads > 0)
        return;
    // The chain add_encoder() made: raw tee → queue → encoder → this tee.
    const std::string prefix = encoder_name(tee);
    ElementPtr queue = adopt(gst_bin_get_by_name(pipeline_, (prefix + "-queue").c_str()));
    ElementPtr encoder = adopt(gst_bin_get_by_name(pipeline_, prefix.c_str()));
    if (!queue || !encoder)
        return;
    PadPtr queue_sink = static_pad(queue.get(), "sink");
    if (PadPtr raw_pad = adopt(gst_pad_get_peer(queue_sink.get()))) {
        gst_pad_unlink(raw_pad.get(), queue_sink.get());
        gst_element_release_request_pad(raw_tee_.get(), raw_pad.get());
    }
    for (GstElement *e : {queue.get(), encoder.get(), tee}) {
        gst_element_set_locked_state(e, TRUE);
        gst_element_set_state(e, GST_STATE_NULL);
        gst_bin_remove(pipeline_, e);
    }
    // The gate's probe ran on the tee's thread, which is gone now; its counts stay counted.
    if (auto it = gates_.find(tee); it != gates_.end()) {
        retired_forced_ += it->second.second->forwarded;
        retired_dropped_ += it->second.second->dropped;
        gates_.erase(it);
    }
    tee_ptr.reset();
    GST_INFO("encoder %s stopped: no call needs it", prefix.c_str());
}

int CaptureGraph::encoder_count() const
{
    return encoders_;
}

void CaptureGraph::force_keyframe(GstElement *tee, KeyframeFor why)
{
    auto it = gates_.find(tee);
    if (it == gates_.end())
        return;
    GstPad *tee_sink = it->second.first.get();
    GstEvent *event = gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0);
    if (why == KeyframeFor::Reminder) {
        gst_pad_push_event(tee_sink, event); // through the gate (on_upstream_event)
        return;
    }
    KeyframeGate &gate = *it->second.second;
    gate.last_us = g_get_monotonic_time();
    ++gate.forwarded;
    // Straight to the encoder's source pad: the gate's probe on the tee's sink pad is passed.
    if (PadPtr encoder = adopt(gst_pad_get_peer(tee_sink)))
        gst_pad_send_event(encoder.get(), event);
    else
        gst_event_unref(event);
}

GstPadProbeReturn CaptureGraph::on_upstream_event(GstPad *, GstPadProbeInfo *info, gpointer data)
{
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
    if (!gst_video_event_is_force_key_unit(event))
        return GST_PAD_PROBE_OK;
    auto *gate = static_cast<KeyframeGate *>(data);
    const std::int64_t now = g_get_monotonic_time();
    std::int64_t last = gate->last_us.load();
    // Streaming threads of several calls may ask at once: one of them wins the interval.
    if ((last != 0 && now - last < kKeyframeIntervalUs) ||
        !gate->last_us.compare_exchange_strong(last, now)) {
        ++gate->dropped;
        return GST_PAD_PROBE_DROP;
    }
    ++gate->forwarded;
    return GST_PAD_PROBE_OK;
}

std::uint64_t CaptureGraph::keyframes_forced() const
{
    std::uint64_t n = retired_forced_;
    for (const auto &[tee, gate] : gates_)
        n += gate.second->forwarded;
    return n;
}

std::uint64_t CaptureGraph::keyframe_requests_dropped() const
{
    std::uint64_t n = retired_dropped_;
    for (const auto &[tee, gate] : gates_)
        n += gate.second->dropped;
    return n;
}

ElementPtr CaptureGraph::load_source(bool camera, MediaSettings &next, std::string &error)
{
    if (!camera)
        return load_source_file(next.pipelines_dir, source_file(next.audio_source),
                                pipeline_variables(next), error);
    const VideoSourcePlan plan = plan_video_source(next);
    next.video_source = plan.source;
    next.framerate = settings_.framerate; // the graph's caps stay as they are
    ElementPtr fresh = load_video_source(next, plan, error);
    if (fresh) {
        camera_mode_ = plan.summary;
        test_camera_ = plan.source == config::VideoSource::Test;
    }
    return fresh;
}

bool CaptureGraph::switch_source(bool camera, const MediaSettings &settings, std::string &error)
{
    MediaSettings next = settings_;
    if (camera) {
        next.video_source = settings.video_source;
        next.video_device = settings.video_device;
    } else {
        next.audio_source = settings.audio_source;
        next.audio_device = settings.audio_device;
    }
    SourceSlot &s = slot(camera);
    if (s.health.state == SourceState::Unavailable) {
        // The placeholder stays until the chosen device delivers: try it now.
        settings_ = next;
        audio_clock_ = wants_audio_clock(next);
        try_source(s);
        return true;
    }
    ElementPtr fresh = load_source(camera, next, error);
    if (!fresh || !replace_source(camera, std::move(fresh), error))
        return false;
    settings_ = next;
    went_live(s);
    audio_clock_ = wants_audio_clock(next);
    return true;
}

bool CaptureGraph::set_voice_processing(const MediaSettings &settings, std::string &error)
{
    MediaSettings next = settings_;
    next.echo_cancel = settings.echo_cancel;
    next.noise_suppression = settings.noise_suppression;
    next.gain_control = settings.gain_control;
    ElementPtr fresh;
    if (config::voice_processing(next) &&
        !(fresh = load_pipeline_file(next.pipelines_dir, kVoiceProcessingFile,
                                     pipeline_variables(next), error)))
        return false;
    // The microphone stops while its processor changes (its thread ends, so nothing is pushed
    // into an unlinked pad; a processor must stop, giving its echo probe back, before the next
    // one takes it), then starts again: the call hears a gap of a few periods.
    // No state change of the pipeline runs meanwhile, and the microphone is locked while it is
    // stopped and unlinked: a state change under way (a call prerolling) would start it again
    // (replace_source(), capture-recovery.cpp, says how that went for the sources).
    GstElement *src = audio_src_.get();
    GstElement *entry = audio_entry_.get();
    GST_STATE_LOCK(pipeline_);
    gst_element_set_locked_state(src, TRUE);
    gst_element_set_state(src, GST_STATE_NULL);
    if (voice_)
        stop_and_remove(voice_.get()); // unlinked from both sides as it leaves
    else
        gst_element_unlink(src, entry);
    voice_ = std::move(fresh);
    echo_cancelling_ = false;
    if (voice_)
        gst_bin_add(pipeline_, voice_.get());
    const bool linked =
        voice_ ? link_chain({src, voice_.get(), entry}, error) : link_chain({src, entry}, error);
    if (voice_)
        gst_element_sync_state_with_parent(voice_.get());
    gst_element_set_locked_state(src, FALSE);
    gst_element_sync_state_with_parent(src);
    GST_STATE_UNLOCK(pipeline_);
    if (!linked)
        return false;
    settings_ = next;
    echo_cancelling_ = voice_ && config::echo_cancel_active(next);
    tap_echo_path();
    return true;
}

void CaptureGraph::measure_echo_path(std::shared_ptr<EchoPath> path)
{
    echo_path_ = std::move(path);
    tap_echo_path();
}

void CaptureGraph::tap_echo_path()
{
    if (!echo_path_ || !voice_ || !echo_cancelling_)
        return;
    auto on_buffer = [](GstPad *pad, GstPadProbeInfo *info, gpointer data) {
        std::vector<std::int16_t> mono;
        unsigned rate = 0;
        GstClockTime running_time = GST_CLOCK_TIME_NONE;
        if (first_channel(pad, GST_PAD_PROBE_INFO_BUFFER(info), mono, rate, running_time))
            (*static_cast<std::shared_ptr<EchoPath> *>(data))->captured(mono, rate, running_time);
        return GST_PAD_PROBE_OK;
    };
    gst_pad_add_probe(static_pad(voice_.get(), "sink").get(), GST_PAD_PROBE_TYPE_BUFFER, on_buffer,
                      new std::shared_ptr<EchoPath>(echo_path_),
                      [](gpointer p) { delete static_cast<std::shared_ptr<EchoPath> *>(p); });
}

void CaptureGraph::set_video_bitrate(unsigned kbps)
{
    set_encoder_bitrates(kbps, false);
}

void CaptureGraph::set_low_video_bitrate(unsigned kbps)
{
    low_kbps_ = kbps;
    if (low_h264_tee_)
        set_encoder_bitrates(kbps, true);
}

void CaptureGraph::set_encoder_bitrates(unsigned kbps, bool low_layer)
{
    // x264enc takes kbit/s and reconfigures itself while playing; vp8enc takes bit/s.
    ElementPtr low;
    if (low_h264_tee_)
        low = adopt(gst_bin_get_by_name(pipeline_, encoder_name(low_h264_tee_.get()).c_str()));
    for (const auto &[factory, scale] : {std::pair{"x264enc", 1u}, std::pair{"vp8enc", 1000u}}) {
        GstIterator *it = gst_bin_iterate_all_by_element_factory_name(pipeline_, factory);
        GValue item = G_VALUE_INIT;
        while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
            auto *encoder = GST_ELEMENT(g_value_get_object(&item));
            const bool in_low =
                low && gst_object_has_as_ancestor(GST_OBJECT(encoder), GST_OBJECT(low.get()));
            if (in_low == low_layer)
                g_object_set(encoder, factory[0] == 'x' ? "bitrate" : "target-bitrate",
                             static_cast<gint>(kbps * scale), nullptr);
            g_value_reset(&item);
        }
        if (G_IS_VALUE(&item))
            g_value_unset(&item);
        gst_iterator_free(it);
    }
}

void CaptureGraph::set_muted(bool audio, bool video)
{
    if (volume_)
        g_object_set(volume_.get(), "mute", audio, nullptr);
    video_muted_ = video;
}

bool CaptureGraph::wants_audio_clock(const MediaSettings &s)
{
    return s.audio_clock == config::ClockPattern::On ||
           (s.audio_clock == config::ClockPattern::Auto &&
            s.audio_source == config::AudioSource::Test);
}

GstPadProbeReturn CaptureGraph::on_raw_audio(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    if (!static_cast<CaptureGraph *>(data)->audio_clock_)
        return GST_PAD_PROBE_OK;
    CapsPtr caps(gst_pad_get_current_caps(pad));
    GstAudioInfo audio;
    if (!caps || !gst_audio_info_from_caps(&audio, caps.get()) ||
        GST_AUDIO_INFO_FORMAT(&audio) != GST_AUDIO_FORMAT_S16 ||
        GST_AUDIO_INFO_CHANNELS(&audio) != 1)
        return GST_PAD_PROBE_OK; // the clock is drawn into 16-bit mono only
    GstBuffer *buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    GST_BUFFER_FLAG_UNSET(buffer, GST_BUFFER_FLAG_GAP); // a silent source's buffer has sound now
    GstMapInfo map;
    if (!gst_buffer_map(buffer, &map, GST_MAP_WRITE))
        return GST_PAD_PROBE_OK;
    // The buffer leaves the microphone now: its last sample was captured just before.
    const std::size_t n = map.size / 2;
    const int rate = GST_AUDIO_INFO_RATE(&audio);
    const std::int64_t first_us = g_get_real_time() - static_cast<std::int64_t>(n) * 1000000 / rate;
    draw_audio_clock(reinterpret_cast<std::int16_t *>(map.data), n, rate, first_us);
    gst_buffer_unmap(buffer, &map);
    return GST_PAD_PROBE_OK;
}

GstPadProbeReturn CaptureGraph::on_raw_frame(GstPad *, GstPadProbeInfo *info, gpointer data)
{
    auto *self = static_cast<CaptureGraph *>(data);
    const std::uint64_t n = self->frames_++;
    const bool muted = self->video_muted_;
    const bool stamp = self->stamp_clock_ && self->video_live_;
    // The test pattern's readable wall clock, so a person sees the picture is live.
    const bool show_time = self->test_camera_ && self->video_live_ && !muted;
    if (!stamp && !muted && !show_time)
        return GST_PAD_PROBE_OK;
    GstBuffer *buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    GstVideoFrame frame;
    if (!gst_video_frame_map(&frame, &self->video_info_, buffer, GST_MAP_WRITE))
        return GST_PAD_PROBE_OK;
    if (muted) {
        // Camera off: everyone sees black, not a frozen picture.
        for (guint plane = 0; plane < 3; ++plane) {
            auto *p = static_cast<std::uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, plane));
            std::memset(p, plane == 0 ? 16 : 128,
                        GST_VIDEO_FRAME_PLANE_STRIDE(&frame, plane) *
                            GST_VIDEO_FRAME_COMP_HEIGHT(&frame, plane));
        }
    }
    const I420View view = i420_view(frame);
    if (show_time)
        draw_wall_clock(view, local_time_text());
    if (stamp)
        draw_clock_pattern(view, {static_cast<std::uint64_t>(g_get_real_time() / 1000),
                                  static_cast<std::uint16_t>(n)});
    gst_video_frame_unmap(&frame);
    return GST_PAD_PROBE_OK;
}

} // namespace callbox::media
