// CaptureGraph: source selection (camera or test source), the clock stamp, encoders and tees.
#include "media/capture-graph.hpp"

#include "media/clock-pattern.hpp"
#include "media/gst-elements.hpp"

#include <glib.h>

#include <cstring>

GST_DEBUG_CATEGORY_STATIC(capture_debug);
#define GST_CAT_DEFAULT capture_debug

namespace callbox::media {

namespace {

bool have_camera(const std::string &device)
{
    return g_file_test(device.c_str(), G_FILE_TEST_EXISTS);
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

} // namespace

void resolve_sources(MediaSettings &s)
{
    if (s.video_source == "auto")
        s.video_source = have_camera(s.video_device) ? "v4l2" : "test";
    if (s.audio_source == "auto")
        s.audio_source = have_alsa_capture() ? "alsa" : "test";
}

std::unique_ptr<CaptureGraph>
CaptureGraph::create(GstPipeline *pipeline, const MediaSettings &settings, std::string &error)
{
    GST_DEBUG_CATEGORY_INIT(capture_debug, "callbox-capture", 0, "callbox capture graph");
    std::unique_ptr<CaptureGraph> graph(new CaptureGraph(pipeline, settings));
    if (!graph->build(error))
        return nullptr;
    return graph;
}

bool CaptureGraph::build(std::string &error)
{
    const MediaSettings &s = settings_;
    resolve_sources(settings_);
    video_source_ = s.video_source;
    audio_source_ = s.audio_source;
    stamp_clock_ =
        s.clock_pattern == "on" || (s.clock_pattern == "auto" && video_source_ == "test");
    video_muted_ = s.video_muted;

    const Variables vars = {
        {"WIDTH", std::to_string(s.width)},
        {"HEIGHT", std::to_string(s.height)},
        {"FRAMERATE", std::to_string(s.framerate)},
        {"BITRATE", std::to_string(s.video_bitrate)},
        {"BITRATE_BPS", std::to_string(s.video_bitrate * 1000)},
        {"KEYINT", std::to_string(s.framerate * 2)},
        {"VIDEO_DEVICE", s.video_device},
        {"AUDIO_DEVICE", s.audio_device},
    };
    GstBin *bin = GST_BIN(pipeline_);
    GstElement *vsrc =
        load_pipeline_file(s.pipelines_dir, "video-source-" + video_source_, vars, error);
    if (!vsrc)
        return false;
    gst_bin_add(bin, vsrc);
    GstElement *convert = make_element("videoconvert", "capture-convert", error);
    GstElement *scale = convert ? make_element("videoscale", "capture-scale", error) : nullptr;
    GstElement *caps = scale ? make_element("capsfilter", "capture-caps", error) : nullptr;
    GstElement *tee = caps ? make_element("tee", "raw-video-tee", error) : nullptr;
    if (!tee)
        return false;
    gst_video_info_set_format(&video_info_, GST_VIDEO_FORMAT_I420, s.width, s.height);
    g_autoptr(GstCaps) raw = gst_caps_new_simple(
        "video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT, s.width, "height",
        G_TYPE_INT, s.height, "framerate", GST_TYPE_FRACTION, s.framerate, 1, nullptr);
    g_object_set(caps, "caps", raw, nullptr);
    g_object_set(tee, "allow-not-linked", TRUE, nullptr);
    gst_bin_add_many(bin, convert, scale, caps, tee, nullptr);
    if (!link_chain({vsrc, convert, scale, caps, tee}, error))
        return false;
    raw_tee_ = tee;
    video_src_ = vsrc;
    video_entry_ = convert;
    GstPad *stamp_pad = gst_element_get_static_pad(caps, "src");
    gst_pad_add_probe(stamp_pad, GST_PAD_PROBE_TYPE_BUFFER, on_raw_frame, this, nullptr);
    gst_object_unref(stamp_pad);

    if (s.encoders == "shared" && !(h264_tee_ = add_encoder(h264_encoder_file(), raw_tee_, error)))
        return false;

    GstElement *asrc =
        load_pipeline_file(s.pipelines_dir, "audio-source-" + audio_source_, vars, error);
    if (!asrc)
        return false;
    gst_bin_add(bin, asrc);
    GstElement *aconvert = make_element("audioconvert", "capture-audioconvert", error);
    volume_ = aconvert ? make_element("volume", "capture-volume", error) : nullptr;
    if (!volume_)
        return false;
    g_object_set(volume_, "mute", s.audio_muted, nullptr);
    gst_bin_add_many(bin, aconvert, volume_, nullptr);
    audio_tee_ = make_element("tee", "audio-source-tee", error);
    if (!audio_tee_)
        return false;
    g_object_set(audio_tee_, "allow-not-linked", TRUE, nullptr);
    gst_bin_add(bin, audio_tee_);
    if (!link_chain({asrc, aconvert, volume_, audio_tee_}, error))
        return false;
    audio_src_ = asrc;
    audio_entry_ = aconvert;
    return s.encoders != "shared" ||
           (opus_tee_ = add_encoder("audio-encoder-opus", audio_tee_, error)) != nullptr;
}

const char *CaptureGraph::h264_encoder_file() const
{
    const bool hardware =
        settings_.video_encoder == "v4l2h264" ||
        (settings_.video_encoder == "auto" && gst_element_factory_find("v4l2h264enc") != nullptr);
    return hardware ? "video-encoder-v4l2h264" : "video-encoder-x264";
}

GstElement *CaptureGraph::add_encoder(const std::string &file, GstElement *upstream_tee,
                                      std::string &error)
{
    const MediaSettings &s = settings_;
    const Variables vars = {
        {"BITRATE", std::to_string(s.video_bitrate)},
        {"BITRATE_BPS", std::to_string(s.video_bitrate * 1000)},
        {"KEYINT", std::to_string(s.framerate * 2)},
    };
    GstElement *encoder = load_pipeline_file(s.pipelines_dir, file, vars, error);
    if (!encoder)
        return nullptr;
    const std::string name = file + "-" + std::to_string(encoders_);
    gst_element_set_name(encoder, name.c_str());
    GstElement *queue = make_element("queue", (name + "-queue").c_str(), error);
    GstElement *tee = queue ? make_element("tee", (name + "-tee").c_str(), error) : nullptr;
    if (!tee) {
        gst_object_unref(gst_object_ref_sink(encoder));
        if (queue)
            gst_object_unref(gst_object_ref_sink(queue));
        return nullptr;
    }
    // A small leaky queue: an encoder that falls behind drops raw frames, never adds delay.
    g_object_set(queue, "max-size-buffers", 2, "max-size-bytes", 0, "max-size-time",
                 G_GUINT64_CONSTANT(0), "leaky", 2, nullptr);
    g_object_set(tee, "allow-not-linked", TRUE, nullptr);
    gst_bin_add_many(GST_BIN(pipeline_), queue, encoder, tee, nullptr);
    if (!link_chain({upstream_tee, queue, encoder, tee}, error))
        return nullptr;
    for (GstElement *e : {tee, encoder, queue})
        gst_element_sync_state_with_parent(e);
    GstPad *src = gst_element_get_static_pad(encoder, "src");
    encoder_src_[tee] = src;
    gst_object_unref(src); // the encoder bin keeps it
    ++encoders_;
    GST_INFO("encoder %s added", name.c_str());
    return tee;
}

GstElement *CaptureGraph::tee_for(Codec codec, std::string &error)
{
    // Shared: one encoder per codec, made once. Per call (the naive baseline for the
    // benchmark): a new encoder every time, kept until capture stops.
    const bool shared = settings_.encoders == "shared";
    switch (codec) {
    case Codec::H264:
        return shared ? h264_tee_ : add_encoder(h264_encoder_file(), raw_tee_, error);
    case Codec::Opus:
        return shared ? opus_tee_ : add_encoder("audio-encoder-opus", audio_tee_, error);
    case Codec::VP8:
        if (!shared)
            return add_encoder("video-encoder-vp8", raw_tee_, error);
        if (!vp8_tee_)
            vp8_tee_ = add_encoder("video-encoder-vp8", raw_tee_, error);
        return vp8_tee_;
    case Codec::None:
        break;
    }
    error = "no stream for that codec";
    return nullptr;
}

int CaptureGraph::encoder_count() const
{
    return encoders_;
}

void CaptureGraph::force_keyframe(GstElement *tee)
{
    auto it = encoder_src_.find(tee);
    if (it != encoder_src_.end())
        gst_pad_send_event(
            it->second, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

bool CaptureGraph::switch_source(bool camera, const MediaSettings &settings, std::string &error)
{
    const std::string kind = camera ? settings.video_source : settings.audio_source;
    const Variables vars = {
        {"WIDTH", std::to_string(settings_.width)},
        {"HEIGHT", std::to_string(settings_.height)},
        {"FRAMERATE", std::to_string(settings_.framerate)},
        {"VIDEO_DEVICE", settings.video_device},
        {"AUDIO_DEVICE", settings.audio_device},
    };
    GstElement *fresh = load_pipeline_file(
        settings_.pipelines_dir, (camera ? "video-source-" : "audio-source-") + kind, vars, error);
    if (!fresh)
        return false;
    GstElement *&old = camera ? video_src_ : audio_src_;
    GstElement *entry = camera ? video_entry_ : audio_entry_;
    // Stop the old source first (its thread ends), so nothing is pushed into an unlinked pad.
    gst_element_set_state(old, GST_STATE_NULL);
    gst_element_unlink(old, entry);
    gst_bin_remove(GST_BIN(pipeline_), old);
    gst_bin_add(GST_BIN(pipeline_), fresh);
    if (!gst_element_link(fresh, entry)) {
        error = "the new source does not fit the capture graph";
        return false;
    }
    gst_element_sync_state_with_parent(fresh);
    old = fresh;
    (camera ? video_source_ : audio_source_) = kind;
    return true;
}

void CaptureGraph::set_muted(bool audio, bool video)
{
    if (volume_)
        g_object_set(volume_, "mute", audio, nullptr);
    video_muted_ = video;
}

GstPadProbeReturn CaptureGraph::on_raw_frame(GstPad *, GstPadProbeInfo *info, gpointer data)
{
    auto *self = static_cast<CaptureGraph *>(data);
    const std::uint64_t n = self->frames_++;
    const bool muted = self->video_muted_;
    if (!self->stamp_clock_ && !muted)
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
    if (self->stamp_clock_) {
        const I420View view = i420_view(frame);
        draw_clock_pattern(view, {static_cast<std::uint64_t>(g_get_real_time() / 1000),
                                  static_cast<std::uint16_t>(n)});
    }
    gst_video_frame_unmap(&frame);
    return GST_PAD_PROBE_OK;
}

} // namespace callbox::media
