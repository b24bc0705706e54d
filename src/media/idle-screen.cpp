// IdleScreen: a tiny pipeline from pipelines/idle-screen.pipeline into the video sink; the QR
// code (libqrencode) is drawn into each frame's luma, with neutral chroma under it, and the text
// the helper rendered (idle-text.cpp) over the top left.
#include "media/idle-screen.hpp"

#include "media/gst-elements.hpp"
#include "media/idle-text.hpp"

#include <gst/video/video.h>
#include <qrencode.h>

#include <algorithm>
#include <cstring>

namespace callbox::media {

int draw_qr_code(const I420View &f, const std::string &text, int x, int y, int module)
{
    const Owned<QRcode, QRcode_free> owner(
        QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1));
    const QRcode *code = owner.get();
    if (!code)
        return 0;
    const int n = code->width;
    const int quiet = 4; // modules of white around the code, as scanners expect
    const int side = (n + 2 * quiet) * module;
    if (x < 0 || y < 0 || x + side > f.width || y + side > f.height)
        return 0;
    for (int row = 0; row < side; ++row) {
        std::uint8_t *line = f.y + (y + row) * f.y_stride + x;
        const int my = row / module - quiet;
        for (int col = 0; col < side; ++col) {
            const int mx = col / module - quiet;
            const bool dark =
                mx >= 0 && my >= 0 && mx < n && my < n && (code->data[my * n + mx] & 1);
            line[col] = dark ? 16 : 235;
        }
    }
    for (int row = y / 2; row < (y + side) / 2; ++row) {
        std::memset(f.u + row * f.u_stride + x / 2, 128, static_cast<std::size_t>(side / 2));
        std::memset(f.v + row * f.v_stride + x / 2, 128, static_cast<std::size_t>(side / 2));
    }
    return n;
}

namespace {

// The fingerprint in lines of 8 bytes ("AB:CD:…" is 23 characters a line), left of the QR code.
std::string fingerprint_lines(const std::string &fingerprint)
{
    std::string out;
    for (std::size_t pos = 0; pos < fingerprint.size(); pos += 24)
        out += "\n" + fingerprint.substr(pos, 23);
    return out;
}

// The last text rendered, by what it was rendered from: the idle screen comes back after every
// call with the same text, and the helper runs only when the text changes. Main thread only.
struct RenderedText {
    std::string key;
    std::shared_ptr<const TextMask> mask;
};

RenderedText &rendered_text()
{
    static RenderedText last;
    return last;
}

} // namespace

void IdleScreen::TextSlot::set(std::shared_ptr<const TextMask> mask)
{
    std::lock_guard lock(mutex);
    this->mask = std::move(mask);
    ready = true;
}

std::shared_ptr<const TextMask> IdleScreen::TextSlot::get() const
{
    std::lock_guard lock(mutex);
    return mask;
}

std::unique_ptr<IdleScreen> IdleScreen::start(const MediaSettings &s,
                                              const std::string &device_name,
                                              const std::string &link,
                                              const std::string &fingerprint, std::string &error)
{
    std::unique_ptr<IdleScreen> screen(new IdleScreen);
    screen->link_ = link;
    screen->width_ = static_cast<int>(s.width);
    screen->height_ = static_cast<int>(s.height);
    std::string text = device_name + "\n\nOpen " + link + "\nor scan the code with your phone.";
    if (!fingerprint.empty())
        text += "\n\nCertificate (SHA-256):" + fingerprint_lines(fingerprint);
    std::replace(text.begin(), text.end(), '"', '\'');
    const std::string key = s.pipelines_dir + "\n" + std::to_string(s.width) + "x" +
                            std::to_string(s.height) + "\n" + text;
    if (rendered_text().key == key)
        screen->text_->set(rendered_text().mask);
    else
        render_idle_text(s.pipelines_dir, screen->width_, screen->height_, text,
                         [slot = screen->text_, key](std::shared_ptr<const TextMask> mask) {
                             if (mask)
                                 rendered_text() = {key, mask};
                             slot->set(std::move(mask));
                         });
    const Variables vars = pipeline_variables(s);
    ElementPtr picture = load_source_file(s.pipelines_dir, "idle-screen", vars, error);
    ElementPtr sink =
        picture ? load_pipeline_file(s.pipelines_dir, sink_file(s.video_sink), vars, error)
                : nullptr;
    if (!sink)
        return nullptr;
    screen->pipeline_ = new_pipeline("callbox-idle-screen");
    gst_bin_add_many(GST_BIN(screen->pipeline_.get()), picture.get(), sink.get(), nullptr);
    if (!gst_element_link(picture.get(), sink.get())) {
        error = "the idle screen does not fit the video sink";
        return nullptr;
    }
    gst_pad_add_probe(static_pad(picture.get(), "src").get(), GST_PAD_PROBE_TYPE_BUFFER, on_frame,
                      screen.get(), nullptr);
    if (gst_element_set_state(screen->pipeline_.get(), GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE) {
        error = "the idle screen does not start (is the display busy?)";
        return nullptr;
    }
    return screen;
}

IdleScreen::~IdleScreen()
{
    // Members go in reverse order, link_ before pipeline_: a call taking the screen while a frame
    // was being drawn freed the link under draw_qr_code (a use after free under ASan). Setting the
    // pipeline to NULL waits for its streaming thread, so no probe runs after this line.
    pipeline_.reset();
}

GstPadProbeReturn IdleScreen::on_frame(GstPad *, GstPadProbeInfo *info, gpointer data)
{
    auto *self = static_cast<IdleScreen *>(data);
    GstBuffer *buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    GstVideoInfo vinfo;
    gst_video_info_set_format(&vinfo, GST_VIDEO_FORMAT_I420, self->width_, self->height_);
    GstVideoFrame frame;
    if (gst_video_frame_map(&frame, &vinfo, buffer, GST_MAP_WRITE)) {
        const I420View view = i420_view(frame);
        // Bottom right, about half the screen's height.
        const int module = std::max(2, self->height_ / 2 / 41);
        const int side = 41 * module;
        draw_qr_code(view, self->link_, (self->width_ - side - 48) & ~1,
                     (self->height_ - side - 48) & ~1, module);
        if (const std::shared_ptr<const TextMask> text = self->text_->get())
            draw_text_mask(view, *text);
        gst_video_frame_unmap(&frame);
        ++self->frames_;
    }
    return GST_PAD_PROBE_OK;
}

} // namespace callbox::media
