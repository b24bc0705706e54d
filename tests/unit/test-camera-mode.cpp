// Unit tests for choose_camera_mode() on the caps of real cameras (tests/unit/data/cameras/*.caps,
// each citing the public listing it was recorded from).
#include "media/camera-mode.hpp"

#include <glib.h>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <tuple>

using namespace callbox::media;
using Kind = CameraMode::Kind;

namespace {

// The caps of a recorded camera: its file's non-comment lines joined as one GstCaps string.
std::string camera_caps(const char *name)
{
    std::ifstream in(std::string(CAMERA_DATA_DIR) + "/" + name + ".caps");
    EXPECT_TRUE(in.good()) << name;
    std::string line, caps;
    while (std::getline(in, line))
        if (!line.empty() && line[0] != '#')
            caps += (caps.empty() ? "" : "; ") + line;
    return caps;
}

// The mode's kind, size, rate and whether it reaches what was asked, as one comparable tuple.
auto shape(const CameraMode &m)
{
    return std::make_tuple(m.kind, m.width, m.height, m.fps_num, m.reaches);
}

} // namespace

TEST(CameraMode, C920ClassGives720p30AsMjpeg)
{
    // Raw 1280x720 is 10 fps only: MJPEG reaches 720p30.
    CameraMode m = choose_camera_mode(camera_caps("usb-1080p-c920-class"), 1280, 720, 30, false);
    EXPECT_EQ(shape(m), std::make_tuple(Kind::Mjpeg, 1280, 720, 30, true));
    EXPECT_EQ(m.caps, "image/jpeg,width=1280,height=720,framerate=30/1");
    EXPECT_EQ(m.summary, "MJPEG 1280x720@30 decoded by jpegdec");
    EXPECT_EQ(m.graph_framerate, 30u);
}

TEST(CameraMode, C920ClassGivesVgaRaw)
{
    // Raw reaches 640x480@30: no decoding at all.
    CameraMode m = choose_camera_mode(camera_caps("usb-1080p-c920-class"), 640, 480, 30, true);
    EXPECT_EQ(m.kind, Kind::Raw);
    EXPECT_TRUE(m.reaches);
    EXPECT_EQ(m.caps, "video/x-raw,format=YUY2,width=640,height=480,framerate=30/1");
    EXPECT_EQ(m.summary, "raw YUY2 640x480@30");
}

TEST(CameraMode, C920ClassRawWhenTheRateIsLow)
{
    // At 10 fps raw 1280x720 reaches: raw is preferred over MJPEG.
    CameraMode m = choose_camera_mode(camera_caps("usb-1080p-c920-class"), 1280, 720, 10, false);
    EXPECT_EQ(m.kind, Kind::Raw);
    EXPECT_EQ(m.width, 1280);
    EXPECT_EQ(m.fps_num, 10);
}

TEST(CameraMode, C920ClassFullHdAsMjpeg)
{
    CameraMode m = choose_camera_mode(camera_caps("usb-1080p-c920-class"), 1920, 1080, 30, true);
    EXPECT_EQ(m.kind, Kind::Mjpeg);
    EXPECT_EQ(m.width, 1920);
    EXPECT_EQ(m.summary, "MJPEG 1920x1080@30 decoded by v4l2jpegdec");
}

TEST(CameraMode, C270ClassGives720p30AsMjpeg)
{
    CameraMode m = choose_camera_mode(camera_caps("usb-720p-c270-class"), 1280, 720, 30, false);
    // The smallest reaching size, not 1280x960.
    EXPECT_EQ(shape(m), std::make_tuple(Kind::Mjpeg, 1280, 720, 30, true));
}

TEST(CameraMode, C270ClassAsked1080pGetsTheNearestSmallerMode)
{
    // Nothing reaches 1920x1080@30: the most of it at 30 fps is MJPEG 1280x960.
    CameraMode m = choose_camera_mode(camera_caps("usb-720p-c270-class"), 1920, 1080, 30, false);
    EXPECT_EQ(shape(m), std::make_tuple(Kind::Mjpeg, 1280, 960, 30, false));
    EXPECT_EQ(m.graph_framerate, 30u);
    EXPECT_EQ(m.summary,
              "nearest smaller mode: MJPEG 1280x960@30 decoded by jpegdec (asked 1920x1080@30)");
}

TEST(CameraMode, VgaCameraKeepsTheRateAtASmallerSize)
{
    CameraMode m = choose_camera_mode(camera_caps("usb-vga-yuyv-only"), 1280, 720, 30, false);
    EXPECT_EQ(shape(m), std::make_tuple(Kind::Raw, 640, 480, 30, false));
}

TEST(CameraMode, MjpegOnlyCameraAskedForMoreThanItsRate)
{
    // 1280x720 at 60 fps reaches 30; at 50 it asks the lowest rate that still reaches.
    CameraMode m = choose_camera_mode(camera_caps("usb-720p-mjpeg-only"), 1280, 720, 25, false);
    EXPECT_EQ(m.kind, Kind::Mjpeg);
    EXPECT_TRUE(m.reaches);
    EXPECT_EQ(m.fps_num, 25);
    m = choose_camera_mode(camera_caps("usb-720p-mjpeg-only"), 1280, 720, 24, false);
    EXPECT_EQ(m.fps_num, 25); // no 24: the next faster rate
    EXPECT_EQ(m.graph_framerate, 24u);
}

TEST(CameraMode, SlowerCameraLowersTheGraphRate)
{
    // A raw-only camera slower than asked: the graph asks for the camera's own rate (floored).
    const std::string caps = "video/x-raw, format=YUY2, width=1280, height=720, framerate=15/2";
    CameraMode m = choose_camera_mode(caps, 1280, 720, 30, false);
    EXPECT_FALSE(m.reaches);
    EXPECT_EQ(m.fps_num, 15);
    EXPECT_EQ(m.fps_den, 2);
    EXPECT_EQ(m.graph_framerate, 7u);
    EXPECT_EQ(m.summary, "nearest smaller mode: raw YUY2 1280x720@7.5 (asked 1280x720@30)");
}

TEST(CameraMode, PiCameraThroughLibcameraScalesToTheAskedSize)
{
    CameraMode m = choose_camera_mode(camera_caps("pi-camera-v2-libcamera"), 1280, 720, 30, false);
    EXPECT_EQ(m.kind, Kind::Raw);
    EXPECT_TRUE(m.reaches);
    EXPECT_EQ(m.format, "NV12");
    EXPECT_EQ(m.width, 1280);
    EXPECT_EQ(m.height, 720);
    EXPECT_EQ(m.caps, "video/x-raw,format=NV12,width=1280,height=720,framerate=30/1");
    // Larger than the sensor: the sensor's full size, marked as not reaching.
    m = choose_camera_mode(camera_caps("pi-camera-v2-libcamera"), 3840, 2160, 30, false);
    EXPECT_FALSE(m.reaches);
    EXPECT_EQ(m.width, 3280);
    EXPECT_EQ(m.height, 2160);
}

TEST(CameraMode, NothingUsable)
{
    CameraMode m = choose_camera_mode("video/x-h264, width=1920, height=1080, framerate=30/1", 1280,
                                      720, 30, false);
    EXPECT_EQ(m.kind, Kind::None);
    EXPECT_TRUE(m.caps.empty());
    EXPECT_EQ(choose_camera_mode("not caps at all", 1280, 720, 30, false).kind, Kind::None);
    EXPECT_EQ(choose_camera_mode("", 1280, 720, 30, false).kind, Kind::None);
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
