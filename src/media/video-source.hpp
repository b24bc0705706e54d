// The camera the capture uses: `auto` resolved (a libcamera camera, then a V4L2 device, then the
// test pattern), its mode chosen from its own caps (GstDeviceMonitor), and its source bin loaded.
#pragma once

#include "config/media-settings.hpp"
#include "media/camera-mode.hpp"
#include "media/gst-ptr.hpp"

#include <gst/gst.h>

#include <string>

namespace callbox::media {

struct VideoSourcePlan {
    config::VideoSource source = config::VideoSource::Test;
    CameraMode mode;        // Kind::None: the camera's caps are unknown (or the test pattern)
    unsigned framerate = 0; // the rate the capture graph asks for
    std::string file;       // the pipelines/ file, without .pipeline
    std::string summary;    // what the log and the admin page say
};

// The device node of a camera the device monitor found ("/dev/video0"); empty when unknown.
std::string device_path(GstDevice *device);

// Whether a libcamera camera (a Pi camera module) is present: libcamerasrc is installed and
// libcamera's device provider lists a camera.
bool have_libcamera_camera();

// `auto` resolved: a libcamera camera, else the V4L2 device when it exists, else the test pattern.
config::VideoSource resolve_video_source(const MediaSettings &settings);

// The camera `settings` name (video_source auto resolved) and its mode; probes the device.
VideoSourcePlan plan_video_source(const MediaSettings &settings);

// The source bin for `plan`, ending in raw video.
ElementPtr load_video_source(const MediaSettings &settings, const VideoSourcePlan &plan,
                             std::string &error);

} // namespace callbox::media
