// PlaybackMixer: compositor grid layout (columns = ⌈√n⌉) and the audio mix, into the sinks.
#include "media/playback-mixer.hpp"

#include "media/gst-elements.hpp"

#include <algorithm>
#include <cmath>

namespace callbox::media {

std::unique_ptr<PlaybackMixer> PlaybackMixer::create(GstPipeline *pipeline, const MediaSettings &s,
                                                     std::string &error)
{
    std::unique_ptr<PlaybackMixer> mixer(new PlaybackMixer(s.width, s.height));
    const Variables vars = {{"AUDIO_SINK_DEVICE", s.audio_sink_device}};
    GstElement *vsink =
        load_pipeline_file(s.pipelines_dir, "video-sink-" + s.video_sink, vars, error);
    if (!vsink)
        return nullptr;
    GstElement *asink =
        load_pipeline_file(s.pipelines_dir, "audio-sink-" + s.audio_sink, vars, error);
    if (!asink) {
        gst_object_unref(gst_object_ref_sink(vsink));
        return nullptr;
    }
    gst_bin_add_many(GST_BIN(pipeline), vsink, asink, nullptr);

    GstElement *comp = make_element("compositor", "playback-compositor", error);
    GstElement *vcaps = comp ? make_element("capsfilter", "playback-video-caps", error) : nullptr;
    GstElement *amix = vcaps ? make_element("audiomixer", "playback-audiomixer", error) : nullptr;
    GstElement *acaps = amix ? make_element("capsfilter", "playback-audio-caps", error) : nullptr;
    if (!acaps)
        return nullptr;
    g_object_set(comp, "background", 1 /* black */, nullptr);
    g_autoptr(GstCaps) video =
        gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, s.width, "height", G_TYPE_INT,
                            s.height, "framerate", GST_TYPE_FRACTION, s.framerate, 1, nullptr);
    g_object_set(vcaps, "caps", video, nullptr);
    g_autoptr(GstCaps) audio = gst_caps_new_simple("audio/x-raw", "rate", G_TYPE_INT, 48000,
                                                   "channels", G_TYPE_INT, 2, nullptr);
    g_object_set(acaps, "caps", audio, nullptr);
    gst_bin_add_many(GST_BIN(pipeline), comp, vcaps, amix, acaps, nullptr);
    if (!gst_element_link_many(comp, vcaps, vsink, nullptr) ||
        !gst_element_link_many(amix, acaps, asink, nullptr)) {
        error = "cannot link the playback mixers to their sinks";
        return nullptr;
    }
    mixer->compositor_ = comp;
    mixer->audiomixer_ = amix;
    return mixer;
}

GstPad *PlaybackMixer::request_video_pad()
{
    GstPad *pad = gst_element_request_pad_simple(compositor_, "sink_%u");
    std::lock_guard lock(mutex_);
    video_pads_.push_back(pad);
    relayout();
    return pad;
}

GstPad *PlaybackMixer::request_audio_pad()
{
    return gst_element_request_pad_simple(audiomixer_, "sink_%u");
}

void PlaybackMixer::release(GstPad *pad)
{
    GstElement *owner = gst_pad_get_parent_element(pad);
    if (owner == compositor_) {
        std::lock_guard lock(mutex_);
        std::erase(video_pads_, pad);
        relayout();
    }
    if (owner) {
        gst_element_release_request_pad(owner, pad);
        gst_object_unref(owner);
    }
    gst_object_unref(pad);
}

std::size_t PlaybackMixer::video_inputs() const
{
    std::lock_guard lock(mutex_);
    return video_pads_.size();
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
