// IdleScreen: what the device's screen shows while nobody is in a call — its name, its
// address and a QR code of the join link — through the configured video sink.
#pragma once

#include "config/media-settings.hpp"
#include "media/clock-pattern.hpp"
#include "media/gst-ptr.hpp"

#include <gst/gst.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

namespace callbox::media {

struct TextMask;

// Draws `text` as a QR code (black modules on white, with its quiet zone) whose top-left is
// at (x, y), each module `module` px; returns the modules per side, 0 when it cannot.
int draw_qr_code(const I420View &frame, const std::string &text, int x, int y, int module);

class IdleScreen
{
public:
    // `fingerprint`: the TLS certificate's, shown under the link (none when empty).
    static std::unique_ptr<IdleScreen> start(const MediaSettings &settings,
                                             const std::string &device_name,
                                             const std::string &link,
                                             const std::string &fingerprint, std::string &error);

    // Stops the pipeline before the fields go: its streaming thread reads them in on_frame.
    ~IdleScreen();

    std::uint64_t frames() const { return frames_; }
    const std::string &link() const { return link_; }
    // The text's helper has answered (with the text, or without when it failed).
    bool text_ready() const { return text_->ready; }
    bool has_text() const { return text_->get() != nullptr; }

private:
    // Filled on the main loop when the helper answers, read by the streaming thread; it may
    // outlive the screen (a call took the screen before the helper answered).
    struct TextSlot {
        void set(std::shared_ptr<const TextMask> mask);
        std::shared_ptr<const TextMask> get() const;

        mutable std::mutex mutex;
        std::shared_ptr<const TextMask> mask;
        std::atomic<bool> ready{false};
    };

    IdleScreen() = default;
    static GstPadProbeReturn on_frame(GstPad *pad, GstPadProbeInfo *info, gpointer self);

    PipelinePtr pipeline_;
    std::string link_;
    int width_ = 0;
    int height_ = 0;
    std::atomic<std::uint64_t> frames_{0};
    std::shared_ptr<TextSlot> text_ = std::make_shared<TextSlot>();
};

} // namespace callbox::media
