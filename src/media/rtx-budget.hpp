// RtxBudget: how many of a browser's retransmission requests (NACKs) the device answers, a share
// of the media packets it sends; limit_retransmissions() applies one to each of a webrtcbin's
// rtprtxsend elements.
#pragma once

#include <gst/gst.h>

#include <array>
#include <bitset>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

namespace callbox::media {

// Token buckets in packets, one per RTP stream, pure logic: each packet a stream sends earns
// kShare of a retransmission of that stream, up to kBurst saved; each retransmission spends one.
// Per stream because the browser asks only for video again: with one bucket for a bundled call,
// the sound's 50 small packets a second earned retransmissions of near-MTU video packets, and
// behind a 300 kbit/s cap (the low layer's 17 packets a second) the device could retransmit
// twice the video it sent (bench/media/shaped.mjs --only cap: the queue never drained).
class RtxBudget
{
public:
    static constexpr double kShare = 0.5;
    // While the path queues (its round trip grown): a retransmission into a full queue only
    // makes it longer. Behind a 300 kbit/s cap, after one try of the top layer, half a
    // retransmission per video packet kept the low layer's call losing 10–30 % for the rest of
    // the cap (13 s: the retransmissions, the sound and the low layer together were more than
    // the cap carried).
    static constexpr double kShareQueueing = 0.1;
    static constexpr double kBurst = 100; // about one keyframe's packets at the top layer
    // What a lowered share leaves saved: 100 near-MTU packets are 3 s of a 300 kbit/s path,
    // spent at once on the requests that follow a failed try of the top layer.
    static constexpr double kBurstQueueing = 10;

    void set_share(double share)
    {
        if (share < share_)
            for (auto &[ssrc, tokens] : tokens_)
                tokens = tokens < kBurstQueueing ? tokens : kBurstQueueing;
        share_ = share;
    }

    void on_media_packets(std::uint32_t ssrc, std::uint64_t n)
    {
        packets_ += n;
        double &tokens = bucket(ssrc);
        tokens = tokens + share_ * n < kBurst ? tokens + share_ * n : kBurst;
    }
    // Whether one more retransmission of packet `seqnum` of `ssrc` may go now (and spends it).
    bool take(std::uint32_t ssrc, std::uint16_t seqnum)
    {
        ++requests_;
        first_requests_ += asked_[ssrc].first_time(seqnum);
        double &tokens = bucket(ssrc);
        if (tokens < 1) {
            ++refused_;
            return false;
        }
        tokens -= 1;
        return true;
    }
    std::uint64_t refused() const { return refused_; }
    std::uint64_t requests() const { return requests_; }
    // Requests for packets not asked for before (among each stream's last kAskedWindow asked):
    // what the path lost. The browser asks again for a packet until it arrives, so behind a
    // cap, with few retransmissions allowed, all requests counted 1.3-5.5 per packet sent for
    // seconds after the path had stopped losing anything (shaped.mjs --only cap --log).
    std::uint64_t first_requests() const { return first_requests_; }
    // Media packets sent, every stream.
    std::uint64_t packets() const { return packets_; }

    static constexpr std::size_t kAskedWindow = 1024;

private:
    // The packets of one stream asked for lately, by sequence number modulo the window.
    struct Asked {
        std::array<std::uint16_t, kAskedWindow> seqnum{};
        std::bitset<kAskedWindow> used;
        bool first_time(std::uint16_t n)
        {
            const std::size_t i = n % kAskedWindow;
            const bool first = !used[i] || seqnum[i] != n;
            seqnum[i] = n;
            used[i] = true;
            return first;
        }
    };
    double &bucket(std::uint32_t ssrc) { return tokens_.try_emplace(ssrc, kBurst).first->second; }

    double share_ = kShare;
    std::map<std::uint32_t, double> tokens_;
    std::map<std::uint32_t, Asked> asked_;
    std::uint64_t requests_ = 0;
    std::uint64_t first_requests_ = 0;
    std::uint64_t packets_ = 0;
    std::uint64_t refused_ = 0;
};

// One webrtcbin's budget, shared by every rtprtxsend it makes (one per session with RTX
// negotiated; a bundled call has one), and what it has counted so far.
class RtxLimiter
{
public:
    struct Counts {
        std::uint64_t packets = 0;        // media packets sent
        std::uint64_t requests = 0;       // retransmissions the browser asked for (NACKed packets)
        std::uint64_t first_requests = 0; // of those, for packets not asked for before
        std::uint64_t refused = 0;
    };
    Counts counts() const;
    void set_share(double share);

private:
    friend struct RtxProbes;
    mutable std::mutex lock_;
    RtxBudget budget_;
};

// Puts an RtxLimiter in front of every rtprtxsend that `webrtc` makes from now on.
std::shared_ptr<RtxLimiter> limit_retransmissions(GstElement *webrtc);

} // namespace callbox::media
