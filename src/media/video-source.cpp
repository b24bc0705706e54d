// The camera: auto resolution, the mode from the device's caps, and its pipelines/ file.
#include "media/video-source.hpp"

#include "media/gst-elements.hpp"
#include "util/glib-ptr.hpp"

#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC(source_debug);
#define GST_CAT_DEFAULT source_debug

namespace callbox::media {

namespace {

bool have_element(const char *factory)
{
    GObjectPtr<GstElementFactory> f = adopt(gst_element_factory_find(factory));
    return f != nullptr;
}

// The devices one device provider of `factory`'s kind lists now (a monitor started and stopped).
template <typename Visit> void each_camera(Visit &&visit)
{
    GObjectPtr<GstDeviceMonitor> monitor = adopt(gst_device_monitor_new());
    gst_device_monitor_add_filter(monitor.get(), "Video/Source", nullptr);
    if (!gst_device_monitor_start(monitor.get()))
        return;
    GList *list = gst_device_monitor_get_devices(monitor.get());
    for (GList *l = list; l; l = l->next) {
        GObjectPtr<GstDevice> device = adopt(GST_DEVICE(l->data));
        visit(device.get());
    }
    g_list_free(list);
    gst_device_monitor_stop(monitor.get());
}

std::string factory_of(GstDevice *device)
{
    ElementPtr element = sink(gst_device_create_element(device, nullptr));
    GstElementFactory *f = element ? gst_element_get_factory(element.get()) : nullptr;
    return f ? GST_OBJECT_NAME(f) : "";
}

// The caps of the first camera for which `match` holds, as text; empty when none is found.
template <typename Match> std::string camera_caps(Match &&match)
{
    std::string out;
    each_camera([&](GstDevice *device) {
        if (!out.empty() || !match(device))
            return;
        CapsPtr caps(gst_device_get_caps(device));
        GCharPtr text(caps ? gst_caps_to_string(caps.get()) : nullptr);
        out = text ? text.get() : "";
    });
    return out;
}

} // namespace

std::string device_path(GstDevice *device)
{
    g_autoptr(GstStructure) props = gst_device_get_properties(device);
    const char *path = props ? gst_structure_get_string(props, "device.path") : nullptr;
    if (!path && props)
        path = gst_structure_get_string(props, "api.v4l2.path");
    return path ? path : "";
}

bool have_libcamera_camera()
{
    if (!have_element("libcamerasrc"))
        return false;
    bool found = false;
    each_camera([&](GstDevice *device) { found = found || factory_of(device) == "libcamerasrc"; });
    return found;
}

config::VideoSource resolve_video_source(const MediaSettings &s)
{
    using config::VideoSource;
    if (s.video_source != VideoSource::Auto)
        return s.video_source;
    if (have_libcamera_camera())
        return VideoSource::Libcamera;
    return g_file_test(s.video_device.c_str(), G_FILE_TEST_EXISTS) ? VideoSource::V4l2
                                                                   : VideoSource::Test;
}

VideoSourcePlan plan_video_source(const MediaSettings &s)
{
    GST_DEBUG_CATEGORY_INIT(source_debug, "callbox-source", 0, "callbox camera choice");
    using config::VideoSource;
    VideoSourcePlan plan;
    plan.source = resolve_video_source(s);
    plan.framerate = s.framerate;
    plan.file = "video-source-" + std::string(config::name(plan.source));
    if (plan.source == VideoSource::Test) {
        plan.summary = "test pattern " + std::to_string(s.width) + "x" + std::to_string(s.height) +
                       "@" + std::to_string(s.framerate);
        return plan;
    }
    const bool libcamera = plan.source == VideoSource::Libcamera;
    const std::string caps =
        libcamera ? camera_caps([](GstDevice *d) { return factory_of(d) == "libcamerasrc"; })
                  : camera_caps([&](GstDevice *d) { return device_path(d) == s.video_device; });
    const bool hardware_jpeg = have_element("v4l2jpegdec");
    plan.mode = choose_camera_mode(caps, s.width, s.height, s.framerate, hardware_jpeg);
    const std::string where = libcamera ? "libcamera camera" : "V4L2 camera " + s.video_device;
    if (plan.mode.kind == CameraMode::Kind::None) {
        // Caps unknown (no device provider): let the source negotiate raw video as before.
        plan.summary = where + ": its modes are unknown, raw video as the camera negotiates it";
        return plan;
    }
    plan.framerate = plan.mode.graph_framerate;
    if (plan.mode.kind == CameraMode::Kind::Mjpeg)
        plan.file += hardware_jpeg ? "-v4l2jpegdec" : "-jpegdec";
    plan.summary = where + ": " + plan.mode.summary;
    GST_INFO("%s (caps %s)", plan.summary.c_str(), caps.c_str());
    return plan;
}

ElementPtr load_video_source(const MediaSettings &s, const VideoSourcePlan &plan,
                             std::string &error)
{
    MediaSettings settings = s;
    settings.framerate = plan.framerate;
    Variables vars = pipeline_variables(settings);
    vars["CAMERA_CAPS"] = plan.mode.caps.empty() ? "video/x-raw" : plan.mode.caps;
    return load_source_file(s.pipelines_dir, plan.file, vars, error);
}

} // namespace callbox::media
