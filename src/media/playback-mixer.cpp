// PlaybackMixer: compositor grid layout (columns = ⌈√n⌉) and the audio mix, into the sinks.
#include "media/playback-mixer.hpp"

#include "media/gst-elements.hpp"

#include <algorithm>
#include <cmath>

namespace callbox::media {

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
