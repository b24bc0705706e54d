// RtxBudget: how many of a browser's retransmission requests (NACKs) the device answers, a share
// of the media packets it sends; limit_retransmissions() applies one to each of a webrtcbin's
// rtprtxsend elements.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <memory>
#include <mutex>

namespace callbox::media {

// A token bucket in packets, pure logic: each media packet sent earns kShare of a
// retransmission, up to kBurst saved; each retransmission spends one. The media packets are all
// those of the session rtprtxsend serves: a bundled call's video and sound.
class RtxBudget
{
public:
    static constexpr double kShare = 0.5;
    static constexpr double kBurst = 100; // about one keyframe's packets at the top layer

    void on_media_packets(std::uint64_t n)
    {
        packets_ += n;
        tokens_ = tokens_ + kShare * n < kBurst ? tokens_ + kShare * n : kBurst;
    }
    // Whether one more retransmission may go now (and spends it).
    bool take()
    {
        ++requests_;
        if (tokens_ < 1) {
            ++refused_;
            return false;
        }
        tokens_ -= 1;
        return true;
    }
    std::uint64_t refused() const { return refused_; }
    std::uint64_t requests() const { return requests_; }
    std::uint64_t packets() const { return packets_; }

private:
    double tokens_ = kBurst;
    std::uint64_t requests_ = 0;
    std::uint64_t packets_ = 0;
    std::uint64_t refused_ = 0;
};

// One webrtcbin's budget, shared by every rtprtxsend it makes (one per session with RTX
// negotiated; a bundled call has one), and what it has counted so far.
class RtxLimiter
{
public:
    struct Counts {
        std::uint64_t packets = 0;  // media packets sent
        std::uint64_t requests = 0; // retransmissions the browser asked for (NACKed packets)
        std::uint64_t refused = 0;
    };
    Counts counts() const;

private:
    friend struct RtxProbes;
    mutable std::mutex lock_;
    RtxBudget budget_;
};

// Puts an RtxLimiter in front of every rtprtxsend that `webrtc` makes from now on.
std::shared_ptr<RtxLimiter> limit_retransmissions(GstElement *webrtc);

} // namespace callbox::media
