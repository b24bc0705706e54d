// PlaybackMixer: compositor grid layout (columns = ⌈√n⌉) and the audio mix, into the sinks.
#include "media/playback-mixer.hpp"

#include "media/gst-elements.hpp"

#include <gst/audio/audio.h>
#include <gst/base/gstbasesink.h>

#include <algorithm>
#include <cmath>

namespace callbox::media {

namespace {

// The simulated room's speaker (audio-sink-room.pipeline) hands what it renders to the room's
// microphone at once: unlike a sound card it has no buffer that takes render-delay to play.
// GStreamer 1.22's interaudiosink sets its render-delay at start to the room's latency-time —
// 100 ms when the speaker starts first, the microphone's 20 ms otherwise — and renders that much
// before the play time, so the echo reached the microphone up to 80 ms before the play time the
// echo canceller reads from its probe, and the canceller took 1–3 dB off it
// (docs/benchmarks.md, "Full-duplex audio with Chromium as the far end"). Each sink of the room's
// speaker file renders its render-delay later: at the play time plus room_delay_ms, whichever
// side of the room started first.
struct RoomSpeaker {
    std::shared_ptr<std::atomic<std::int64_t>> room_delay_ns; // the mixer's, changed on reload
};

GstPadProbeReturn on_room_speaker_buffer(GstPad *pad, GstPadProbeInfo *, gpointer data)
{
    const auto *room = static_cast<const RoomSpeaker *>(data);
    GstElement *sink = gst_pad_get_parent_element(pad);
    if (!sink)
        return GST_PAD_PROBE_OK;
    guint64 render_delay = 0;
    gint64 offset = 0;
    g_object_get(sink, "render-delay", &render_delay, "ts-offset", &offset, nullptr);
    const gint64 wanted = room->room_delay_ns->load() + static_cast<gint64>(render_delay);
    if (offset != wanted)
        g_object_set(sink, "ts-offset", wanted, nullptr);
    gst_object_unref(sink);
    return GST_PAD_PROBE_OK;
}

void compensate_room_render_delay(GstElement *speaker,
                                  const std::shared_ptr<std::atomic<std::int64_t>> &room_delay_ns)
{
    GstIterator *it = GST_IS_BIN(speaker) ? gst_bin_iterate_sinks(GST_BIN(speaker)) : nullptr;
    auto add = [&room_delay_ns](GstElement *sink) {
        if (!GST_IS_BASE_SINK(sink))
            return;
        auto *room = new RoomSpeaker{room_delay_ns};
        gst_pad_add_probe(static_pad(sink, "sink").get(), GST_PAD_PROBE_TYPE_BUFFER,
                          on_room_speaker_buffer, room,
                          [](gpointer p) { delete static_cast<RoomSpeaker *>(p); });
    };
    if (!it) {
        add(speaker);
        return;
    }
    GValue item = G_VALUE_INIT;
    while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
        add(GST_ELEMENT(g_value_get_object(&item)));
        g_value_reset(&item);
    }
    g_value_unset(&item);
    gst_iterator_free(it);
}

} // namespace

std::unique_ptr<PlaybackMixer> PlaybackMixer::create(GstBin *pipeline, const MediaSettings &s,
                                                     std::string &error)
{
    std::unique_ptr<PlaybackMixer> mixer(new PlaybackMixer(s.width, s.height));
    const Variables vars = pipeline_variables(s);
    ElementPtr vsink = load_pipeline_file(s.pipelines_dir, sink_file(s.video_sink), vars, error);
    ElementPtr asink =
        vsink ? load_pipeline_file(s.pipelines_dir, sink_file(s.audio_sink), vars, error) : nullptr;
    ElementPtr comp = asink ? make_element("compositor", "playback-compositor", error) : nullptr;
    ElementPtr vcaps = comp ? make_element("capsfilter", "playback-video-caps", error) : nullptr;
    ElementPtr amix = vcaps ? make_element("audiomixer", "playback-audiomixer", error) : nullptr;
    ElementPtr acaps = amix ? make_element("capsfilter", "playback-audio-caps", error) : nullptr;
    // The echo probe sees exactly what the speaker plays: every caller, mixed. It is always
    // there (it only keeps the last second), so echo cancellation can be switched on mid-call.
    ElementPtr probe =
        acaps ? load_pipeline_file(s.pipelines_dir, kEchoProbeFile, vars, error) : nullptr;
    if (!probe)
        return nullptr;
    g_object_set(comp.get(), "background", 1 /* black */, nullptr);
    CapsPtr video(gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, s.width, "height",
                                      G_TYPE_INT, s.height, "framerate", GST_TYPE_FRACTION,
                                      s.framerate, 1, nullptr));
    g_object_set(vcaps.get(), "caps", video.get(), nullptr);
    CapsPtr audio(gst_caps_new_simple("audio/x-raw", "rate", G_TYPE_INT, 48000, "channels",
                                      G_TYPE_INT, 2, nullptr));
    g_object_set(acaps.get(), "caps", audio.get(), nullptr);
    gst_bin_add_many(pipeline, vsink.get(), asink.get(), comp.get(), vcaps.get(), amix.get(),
                     acaps.get(), probe.get(), nullptr);
    if (!gst_element_link_many(comp.get(), vcaps.get(), vsink.get(), nullptr) ||
        !gst_element_link_many(amix.get(), acaps.get(), probe.get(), asink.get(), nullptr)) {
        error = "cannot link the playback mixers to their sinks";
        return nullptr;
    }
    gst_pad_add_probe(static_pad(probe.get(), "src").get(), GST_PAD_PROBE_TYPE_BUFFER,
                      on_speaker_audio, mixer.get(), nullptr);
    gst_pad_add_probe(static_pad(probe.get(), "src").get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                      on_probe_latency, mixer.get(), nullptr);
    gst_pad_add_probe(static_pad(probe.get(), "sink").get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                      on_latency_upstream, mixer.get(), nullptr);
    PlaybackMixer *raw = mixer.get();
    mixer->echo_path_ = std::make_shared<EchoPath>(
        [raw](std::int64_t delay_ns) { raw->tell_echo_delay(delay_ns); });
    mixer->probe_ = std::move(probe);
    mixer->set_room_delay(s.room_delay_ms);
    if (s.audio_sink == config::AudioSink::Room)
        compensate_room_render_delay(asink.get(), mixer->room_delay_ns_);
    mixer->compositor_ = std::move(comp);
    mixer->audiomixer_ = std::move(amix);
    return mixer;
}

PlaybackMixer::Input PlaybackMixer::request_video_pad()
{
    RequestPad pad(compositor_.get(), "sink_%u");
    std::lock_guard lock(mutex_);
    video_pads_.push_back(pad.get());
    relayout();
    return Input(this, std::move(pad));
}

PlaybackMixer::Input PlaybackMixer::request_audio_pad()
{
    return Input(this, RequestPad(audiomixer_.get(), "sink_%u"));
}

void PlaybackMixer::release(GstPad *pad)
{
    std::lock_guard lock(mutex_);
    if (std::erase(video_pads_, pad))
        relayout();
}

std::size_t PlaybackMixer::video_inputs() const
{
    std::lock_guard lock(mutex_);
    return video_pads_.size();
}

GstPadProbeReturn PlaybackMixer::on_speaker_audio(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    auto *self = static_cast<PlaybackMixer *>(data);
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    std::vector<std::int16_t> mono; // the first channel; it reaches the speaker now
    unsigned rate = 0;
    GstClockTime running_time = GST_CLOCK_TIME_NONE;
    if (!first_channel(pad, buffer, mono, rate, running_time))
        return GST_PAD_PROBE_OK;
    self->echo_path_->played(mono, rate, running_time);
    const auto read = self->clock_reader_.feed(mono.data(), mono.size(), rate, g_get_real_time());
    if (!read.empty()) {
        std::lock_guard lock(self->clock_mutex_);
        for (double ms : read)
            self->clock_latencies_ms_.push_back(ms);
        while (self->clock_latencies_ms_.size() > 100)
            self->clock_latencies_ms_.pop_front();
    }
    return GST_PAD_PROBE_OK;
}

// webrtcdsp 1.22's probe takes the time a sample is heard to be its running time plus the
// latency in the last LATENCY event it got, and has no setting for an echo path longer than that
// (a room, a Bluetooth speaker: 40–60 ms cancelled 0–3 dB, docs/benchmarks.md). The LATENCY
// events reaching the probe carry the measured echo delay on top; the probe's own upstream sees
// the pipeline's value again, and the events callboxd sends only to re-tell the probe stop there.
GstPadProbeReturn PlaybackMixer::on_probe_latency(GstPad *, GstPadProbeInfo *info, gpointer data)
{
    auto *self = static_cast<PlaybackMixer *>(data);
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(event) != GST_EVENT_LATENCY)
        return GST_PAD_PROBE_OK;
    GstClockTime latency = 0;
    gst_event_parse_latency(event, &latency);
    self->echo_path_->set_speaker_latency(latency);
    GstEvent *told = gst_event_new_latency(latency + self->echo_delay_ns_.load());
    gst_event_set_seqnum(told, gst_event_get_seqnum(event));
    gst_event_unref(event);
    GST_PAD_PROBE_INFO_DATA(info) = told;
    return GST_PAD_PROBE_OK;
}

GstPadProbeReturn PlaybackMixer::on_latency_upstream(GstPad *, GstPadProbeInfo *info, gpointer data)
{
    auto *self = static_cast<PlaybackMixer *>(data);
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(event) != GST_EVENT_LATENCY)
        return GST_PAD_PROBE_OK;
    if (gst_event_get_seqnum(event) == self->told_seqnum_.load())
        return GST_PAD_PROBE_DROP;
    GstEvent *pipelines = gst_event_new_latency(self->echo_path_->speaker_latency());
    gst_event_set_seqnum(pipelines, gst_event_get_seqnum(event));
    gst_event_unref(event);
    GST_PAD_PROBE_INFO_DATA(info) = pipelines;
    return GST_PAD_PROBE_OK;
}

void PlaybackMixer::set_room_delay(unsigned ms)
{
    room_delay_ns_->store(static_cast<std::int64_t>(ms) * GST_MSECOND);
}

void PlaybackMixer::tell_echo_delay(std::int64_t delay_ns)
{
    echo_delay_ns_ = delay_ns;
    const GstClockTime latency = echo_path_->speaker_latency();
    if (!GST_CLOCK_TIME_IS_VALID(latency))
        return; // the pipeline's own LATENCY event will carry it
    GstEvent *event = gst_event_new_latency(latency);
    told_seqnum_ = gst_event_get_seqnum(event);
    gst_pad_send_event(static_pad(probe_.get(), "src").get(), event);
}

LatencySummary PlaybackMixer::audio_clock() const
{
    std::lock_guard lock(clock_mutex_);
    return summarize({clock_latencies_ms_.begin(), clock_latencies_ms_.end()});
}

void PlaybackMixer::relayout()
{
    const auto n = static_cast<unsigned>(video_pads_.size());
    if (n == 0)
        return;
    const auto cols = static_cast<unsigned>(std::ceil(std::sqrt(static_cast<double>(n))));
    const unsigned rows = (n + cols - 1) / cols;
    const int w = static_cast<int>(width_ / cols);
    const int h = static_cast<int>(height_ / rows);
    for (unsigned i = 0; i < n; ++i)
        g_object_set(video_pads_[i], "xpos", static_cast<int>(i % cols) * w, "ypos",
                     static_cast<int>(i / cols) * h, "width", w, "height", h, nullptr);
}

} // namespace callbox::media
