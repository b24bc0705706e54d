// The idle screen's text: the helper that renders it (a pipeline from pipelines/, in its own
// process), the daemon's request for it, and the mask drawn into the idle screen's frames.
#include "media/idle-text.hpp"

#include "media/gst-elements.hpp"
#include "media/gst-ptr.hpp"

#include <glib-unix.h>
#include <gst/video/video.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include <unistd.h>

namespace callbox::media {

namespace {

constexpr int kBlack = 16, kWhite = 235; // video range, as videotestsrc and textoverlay draw

std::uint8_t coverage_of(std::uint8_t gray)
{
    return static_cast<std::uint8_t>((std::clamp(static_cast<int>(gray), kBlack, kWhite) - kBlack) *
                                     255 / (kWhite - kBlack));
}

} // namespace

TextMask crop_text_mask(const std::uint8_t *gray, int width, int height)
{
    int x0 = width, y0 = height, x1 = -1, y1 = -1;
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            if (coverage_of(gray[static_cast<std::size_t>(y) * width + x]) != 0) {
                x0 = std::min(x0, x);
                x1 = std::max(x1, x);
                y0 = std::min(y0, y);
                y1 = std::max(y1, y);
            }
    TextMask mask;
    if (x1 < 0)
        return mask;
    // Even corners, so each 2×2 block of chroma lies wholly inside or outside the box.
    mask.x = x0 & ~1;
    mask.y = y0 & ~1;
    mask.width = std::min(width, (x1 + 2) & ~1) - mask.x;
    mask.height = std::min(height, (y1 + 2) & ~1) - mask.y;
    mask.coverage.resize(static_cast<std::size_t>(mask.width) * mask.height);
    for (int y = 0; y < mask.height; ++y)
        std::transform(gray + static_cast<std::size_t>(mask.y + y) * width + mask.x,
                       gray + static_cast<std::size_t>(mask.y + y) * width + mask.x + mask.width,
                       mask.coverage.begin() + static_cast<std::ptrdiff_t>(y) * mask.width,
                       coverage_of);
    return mask;
}

void draw_text_mask(const I420View &f, const TextMask &m)
{
    auto towards = [](std::uint8_t &value, int target, int coverage) {
        value = static_cast<std::uint8_t>(value + ((target - value) * coverage + 127) / 255);
    };
    const int w = std::min(m.width, f.width - m.x);
    const int h = std::min(m.height, f.height - m.y);
    for (int y = 0; y < h; ++y) {
        const std::uint8_t *cov = m.coverage.data() + static_cast<std::size_t>(y) * m.width;
        std::uint8_t *line = f.y + (m.y + y) * f.y_stride + m.x;
        for (int x = 0; x < w; ++x)
            if (cov[x])
                towards(line[x], kWhite, cov[x]);
    }
    for (int y = 0; y + 1 < h; y += 2) {
        const std::uint8_t *a = m.coverage.data() + static_cast<std::size_t>(y) * m.width;
        const std::uint8_t *b = a + m.width;
        const int row = (m.y + y) / 2;
        for (int x = 0; x + 1 < w; x += 2) {
            const int coverage = (a[x] + a[x + 1] + b[x] + b[x + 1] + 2) / 4;
            if (!coverage)
                continue;
            towards(f.u[row * f.u_stride + (m.x + x) / 2], 128, coverage);
            towards(f.v[row * f.v_stride + (m.x + x) / 2], 128, coverage);
        }
    }
}

namespace {

struct Grab {
    std::vector<std::uint8_t> gray;
    int width, height;
};

GstPadProbeReturn grab_picture(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    auto *grab = static_cast<Grab *>(data);
    CapsPtr caps(gst_pad_get_current_caps(pad));
    GstVideoInfo vinfo;
    GstVideoFrame frame;
    if (!grab->gray.empty() || !caps || !gst_video_info_from_caps(&vinfo, caps.get()) ||
        GST_VIDEO_INFO_FORMAT(&vinfo) != GST_VIDEO_FORMAT_GRAY8 ||
        GST_VIDEO_INFO_WIDTH(&vinfo) != grab->width ||
        GST_VIDEO_INFO_HEIGHT(&vinfo) != grab->height ||
        !gst_video_frame_map(&frame, &vinfo, GST_PAD_PROBE_INFO_BUFFER(info), GST_MAP_READ))
        return GST_PAD_PROBE_OK;
    grab->gray.resize(static_cast<std::size_t>(grab->width) * grab->height);
    const auto *data_in = static_cast<const std::uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
    const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
    for (int y = 0; y < grab->height; ++y)
        std::copy_n(data_in + static_cast<std::size_t>(y) * stride, grab->width,
                    grab->gray.begin() + static_cast<std::ptrdiff_t>(y) * grab->width);
    gst_video_frame_unmap(&frame);
    return GST_PAD_PROBE_OK;
}

} // namespace

int run_render_idle_text_command(const std::string &dir, int width, int height,
                                 const std::string &text)
{
    if (width <= 0 || height <= 0 || width > 8192 || height > 8192) {
        std::fprintf(stderr, "callboxd: no picture of %d×%d\n", width, height);
        return 2;
    }
    const Variables vars{
        {"WIDTH", std::to_string(width)}, {"HEIGHT", std::to_string(height)}, {"TEXT", text}};
    std::string error;
    ElementPtr picture = load_source_file(dir, "idle-screen-text", vars, error);
    ElementPtr sink = picture ? make_element("fakesink", nullptr, error) : nullptr;
    if (!sink) {
        std::fprintf(stderr, "callboxd: %s\n", error.c_str());
        return 1;
    }
    PipelinePtr pipeline = new_pipeline("callbox-idle-text");
    gst_bin_add_many(GST_BIN(pipeline.get()), picture.get(), sink.get(), nullptr);
    Grab grab{{}, width, height};
    gst_pad_add_probe(static_pad(sink.get(), "sink").get(), GST_PAD_PROBE_TYPE_BUFFER, grab_picture,
                      &grab, nullptr);
    if (!gst_element_link(picture.get(), sink.get()) ||
        gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        std::fprintf(stderr, "callboxd: the idle screen's text pipeline does not run\n");
        return 1;
    }
    BusPtr bus = adopt(gst_element_get_bus(pipeline.get()));
    GstMessage *end = gst_bus_timed_pop_filtered(
        bus.get(), 20 * GST_SECOND,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    if (end)
        gst_message_unref(end);
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    if (grab.gray.empty()) {
        std::fprintf(stderr, "callboxd: the idle screen's text pipeline made no GRAY8 picture\n");
        return 1;
    }
    return std::fwrite(grab.gray.data(), 1, grab.gray.size(), stdout) == grab.gray.size() &&
                   std::fflush(stdout) == 0
               ? 0
               : 1;
}

namespace {

// One helper run: its picture read from the pipe on the main loop (a file-descriptor source and
// a child watch, no thread: GSubprocess's communicate left a GLib pool thread behind, which the
// daemon's thread-count checks saw), then its exit status.
struct Request {
    GPid pid;
    int width, height;
    std::function<void(std::shared_ptr<const TextMask>)> done;
    std::vector<std::uint8_t> out;
};

void on_helper_exit(GPid pid, gint status, gpointer data)
{
    std::unique_ptr<Request> request(static_cast<Request *>(data));
    g_spawn_close_pid(pid);
    g_autoptr(GError) error = nullptr;
    std::shared_ptr<TextMask> mask;
    if (!g_spawn_check_wait_status(status, &error))
        g_warning("media: the idle screen's text: the helper failed (%s; its messages are above)",
                  error->message);
    else if (request->out.size() != static_cast<std::size_t>(request->width) * request->height)
        g_warning("media: the idle screen's text: the helper gave %zu bytes", request->out.size());
    else
        mask = std::make_shared<TextMask>(
            crop_text_mask(request->out.data(), request->width, request->height));
    request->done(std::move(mask));
}

gboolean on_helper_output(int fd, GIOCondition, gpointer data)
{
    auto *request = static_cast<Request *>(data);
    std::uint8_t chunk[65536];
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return G_SOURCE_CONTINUE;
    const std::size_t limit = static_cast<std::size_t>(request->width) * request->height;
    if (n > 0 && request->out.size() + static_cast<std::size_t>(n) <= limit) {
        request->out.insert(request->out.end(), chunk, chunk + n);
        return G_SOURCE_CONTINUE;
    }
    if (n > 0) // more than a picture: not the helper's answer
        request->out.clear();
    // The end of its output: close the pipe (a helper still writing gets EPIPE) and wait for it.
    close(fd);
    g_child_watch_add(request->pid, on_helper_exit, request);
    return G_SOURCE_REMOVE;
}

} // namespace

void render_idle_text(const std::string &dir, int width, int height, const std::string &text,
                      std::function<void(std::shared_ptr<const TextMask>)> done)
{
    const char *renderer = g_getenv("CALLBOX_TEXT_RENDERER");
    std::string program = renderer ? renderer : "/proc/self/exe";
    std::string option = "--render-idle-text", end = "--"; // a device name may start with a dash
    std::string w = std::to_string(width), h = std::to_string(height), words = text;
    std::string folder = dir;
    char *argv[] = {program.data(), option.data(), folder.data(), end.data(),
                    w.data(),       h.data(),      words.data(),  nullptr};
    GPid pid = 0;
    int out = -1;
    g_autoptr(GError) error = nullptr;
    if (!g_spawn_async_with_pipes(
            nullptr, argv, nullptr,
            static_cast<GSpawnFlags>(G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CLOEXEC_PIPES), nullptr,
            nullptr, &pid, nullptr, &out, nullptr, &error)) {
        g_warning("media: the idle screen's text: %s", error->message);
        done(nullptr);
        return;
    }
    g_unix_set_fd_nonblocking(out, TRUE, nullptr);
    g_unix_fd_add(out, static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR), on_helper_output,
                  new Request{pid, width, height, std::move(done), {}});
}

} // namespace callbox::media
