// The idle screen's text: the helper that renders it (a pipeline from pipelines/, in its own
// process), the daemon's request for it, and the mask drawn into the idle screen's frames.
#include "media/idle-text.hpp"

#include "media/gst-elements.hpp"
#include "media/gst-ptr.hpp"

#include <gio/gio.h>
#include <gst/video/video.h>

#include <algorithm>
#include <cstdio>

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
    ElementPtr picture = load_pipeline_file(dir, "idle-screen-text", vars, error);
    ElementPtr sink = picture ? make_element("fakesink", nullptr, error) : nullptr;
    if (!sink) {
        std::fprintf(stderr, "callboxd: %s\n", error.c_str());
        return 1;
    }
    // The file's bin ghosts every unlinked pad, textoverlay's text input too; linked, it draws
    // what arrives there instead of its text property. A picture source takes no input.
    while (GstPad *input = picture->sinkpads ? GST_PAD(picture->sinkpads->data) : nullptr)
        gst_element_remove_pad(picture.get(), input);
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

struct Request {
    int width, height;
    std::function<void(std::shared_ptr<const TextMask>)> done;
};

void on_rendered(GObject *source, GAsyncResult *result, gpointer data)
{
    std::unique_ptr<Request> request(static_cast<Request *>(data));
    auto *process = G_SUBPROCESS(source);
    GBytes *out = nullptr;
    g_autoptr(GError) error = nullptr;
    std::shared_ptr<TextMask> mask;
    const std::size_t want = static_cast<std::size_t>(request->width) * request->height;
    if (!g_subprocess_communicate_finish(process, result, &out, nullptr, &error))
        g_warning("media: the idle screen's text: %s", error->message);
    else if (!g_subprocess_get_successful(process) || !out || g_bytes_get_size(out) != want)
        g_warning("media: the idle screen's text: the helper failed (its messages are above)");
    else
        mask = std::make_shared<TextMask>(
            crop_text_mask(static_cast<const std::uint8_t *>(g_bytes_get_data(out, nullptr)),
                           request->width, request->height));
    if (out)
        g_bytes_unref(out);
    g_object_unref(process);
    request->done(std::move(mask));
}

} // namespace

void render_idle_text(const std::string &dir, int width, int height, const std::string &text,
                      std::function<void(std::shared_ptr<const TextMask>)> done)
{
    const char *renderer = g_getenv("CALLBOX_TEXT_RENDERER");
    const std::string w = std::to_string(width), h = std::to_string(height);
    g_autoptr(GError) error = nullptr;
    // "--" ends callboxd's options: a device name may start with a dash.
    GSubprocess *process = g_subprocess_new(
        G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, renderer ? renderer : "/proc/self/exe",
        "--render-idle-text", dir.c_str(), "--", w.c_str(), h.c_str(), text.c_str(), nullptr);
    if (!process) {
        g_warning("media: the idle screen's text: %s", error->message);
        done(nullptr);
        return;
    }
    g_subprocess_communicate_async(process, nullptr, nullptr, on_rendered,
                                   new Request{width, height, std::move(done)});
}

} // namespace callbox::media
