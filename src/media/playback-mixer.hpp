// PlaybackMixer: every caller's video in a compositor grid on the device's screen, and every
// caller's audio mixed to its speaker (sinks chosen by pipelines/ files).
#pragma once

#include "media/media-settings.hpp"

#include <gst/gst.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace callbox::media {

class PlaybackMixer
{
public:
    static std::unique_ptr<PlaybackMixer> create(GstPipeline *pipeline,
                                                 const MediaSettings &settings, std::string &error);

    // New inputs for one caller's stream; safe from streaming threads.
    GstPad *request_video_pad();
    GstPad *request_audio_pad();
    // Gives a pad from request_*_pad back (the caller's branch is already stopped).
    void release(GstPad *pad);

    std::size_t video_inputs() const;

private:
    PlaybackMixer(unsigned width, unsigned height) : width_(width), height_(height) {}
    void relayout(); // with mutex_ held

    GstElement *compositor_ = nullptr;
    GstElement *audiomixer_ = nullptr;
    unsigned width_;
    unsigned height_;
    mutable std::mutex mutex_;
    std::vector<GstPad *> video_pads_;
};

} // namespace callbox::media
