// choose_camera_mode(): a camera's capture mode from its caps and the configured size and rate —
// raw when a raw mode reaches them, else MJPEG (decoded), else the nearest smaller mode.
#pragma once

#include <string>
#include <string_view>

namespace callbox::media {

struct CameraMode {
    enum class Kind { None, Raw, Mjpeg };
    Kind kind = Kind::None;
    std::string format; // the raw format ("YUY2", "NV12", ...); empty for MJPEG
    int width = 0;
    int height = 0;
    int fps_num = 0; // the frame rate asked of the camera
    int fps_den = 1;
    // Whether the mode reaches the configured size and rate; when not, the nearest smaller.
    bool reaches = false;
    // The caps that pin the camera to this mode, e.g.
    // "image/jpeg,width=1280,height=720,framerate=30/1"; empty for Kind::None.
    std::string caps;
    // What the log and the admin page say: "raw YUY2 640x480@30", "MJPEG 1280x720@30 decoded
    // by jpegdec", "nearest smaller: raw YUY2 640x480@30 (asked 1920x1080@30)".
    std::string summary;
    // Frames a second the capture graph asks for: the configured rate, or the mode's when lower.
    unsigned graph_framerate = 0;
};

// Picks the mode from `caps` (a GstCaps string: the camera's caps as GstDeviceMonitor gives them,
// several structures joined by ';'; structures other than video/x-raw and image/jpeg are
// ignored). Among modes that reach width×height at `framerate`: the smallest raw one, else the
// smallest MJPEG one (decoded by the hardware decoder when `hardware_jpeg` is true, else by
// software). Otherwise the mode that gives the most of the asked size and rate, preferring one
// that keeps the rate. Kind::None when the caps hold no usable mode. Needs gst_init() (it parses
// caps) but no device.
CameraMode choose_camera_mode(std::string_view caps, unsigned width, unsigned height,
                              unsigned framerate, bool hardware_jpeg);

} // namespace callbox::media
