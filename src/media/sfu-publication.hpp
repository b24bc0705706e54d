// SfuPublication: the device's camera and microphone published once into an SFU room — a
// webrtcbin that offers (send only), fed by the shared encoders like every call.
#pragma once

#include "media/gst-ptr.hpp"
#include "sfu/device-publisher.hpp"

#define GST_USE_UNSTABLE_API
#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace callbox::media {

class CaptureGraph;
class MediaEngine;

class SfuPublication
{
public:
    // Payload types of the offer: the device chooses them (it offers).
    static constexpr int kH264PayloadType = 96;
    static constexpr int kOpusPayloadType = 111;

    SfuPublication(MediaEngine &engine, std::string key, sfu::PublisherSink &sink,
                   std::uint64_t serial);
    ~SfuPublication();
    SfuPublication(const SfuPublication &) = delete;
    SfuPublication &operator=(const SfuPublication &) = delete;

    // Builds the publication into `pipeline`; the offer follows once webrtcbin asks for it.
    bool start(GstBin *pipeline, CaptureGraph &capture, std::string &error);
    void answer(const std::string &sdp);
    // Ends it with a last "failed" for the sink.
    void fail(const std::string &why);

    const std::string &key() const { return key_; }
    std::uint64_t serial() const { return serial_; }
    GstElement *bin() const { return bin_.get(); }
    std::uint64_t video_frames_out() const { return shared_ ? shared_->video_frames.load() : 0; }

    struct Shared {
        MediaEngine *engine;
        std::string key;
        std::uint64_t serial;
        std::atomic<std::uint64_t> video_frames{0};
    };

private:
    void on_negotiation_needed();
    void on_offer(GstWebRTCSessionDescription *offer);
    void on_connection_state(int state);

    MediaEngine &engine_;
    std::string key_;
    sfu::PublisherSink &sink_;
    std::uint64_t serial_;
    std::shared_ptr<Shared> shared_;
    GstBin *pipeline_ = nullptr;
    CaptureGraph *capture_ = nullptr;
    ElementPtr bin_;
    ElementPtr webrtc_;
    std::vector<RequestPad> tee_pads_;
    bool offered_ = false;
    bool connected_ = false;
    bool over_ = false;
};

} // namespace callbox::media
