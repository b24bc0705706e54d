// PathReport: what a browser's receiver reports and retransmission requests said about the path
// of one call over the last interval (loss, round trip, what was sent and carried). Pure logic.
#pragma once

#include "media/rtx-budget.hpp"

#include <glib.h>

#include <algorithm>
#include <cstdint>
#include <map>

namespace callbox::media {

// The browser's receiver reports on what the device sends, for the bitrate controller and the
// layer choice, read once a second (CallSession::request_path_report()).
struct PathReport {
    // Per RTP stream the device sends (by SSRC), the browser's last report block on it: the
    // highest sequence number it had seen (extended) and how many it had lost by then, which
    // sender report it answered and how long after (LSR, DLSR: a new block has new ones),
    // and the round trip measured from it.
    struct Stream {
        guint32 highest = 0;
        gint64 lost = 0;
        guint lsr = 0, dlsr = 0;
        double rtt_ms = -1;
    };
    std::map<guint, Stream> streams;
    double fraction_lost = 0;     // of the packets expected since the previous report (blocks)
    double rtt_ms = -1;           // from the blocks that arrived since the previous report
    bool rtt_fresh = false;       // some did (else rtt_ms is the previous report's)
    std::uint64_t bytes_sent = 0; // all RTP the device sent the browser so far
    gint64 at_us = 0;             // when webrtcbin answered (monotonic)
    double sent_kbps = -1;        // over the interval since the previous answer; -1: unknown
    RtxLimiter::Counts rtx;       // the browser's retransmission requests so far
    // Packets asked for again per media packet over that interval, each packet once however
    // often the browser asks (RtxBudget::first_requests()): what the path dropped. Chromium's
    // receiver reports said 0 % lost on a path capped at 300 kbit/s that dropped most of what
    // it was sent (a packet retransmitted in time counts as received).
    double nack_ratio = 0;
    // The share of what the device sent that the path lost, by whichever reading says more.
    double loss() const { return std::max(fraction_lost, std::min(1.0, nack_ratio)); }
    // What the path carried over that interval: what was sent less what it lost (an
    // estimate of its capacity when it is constrained); -1: unknown.
    double delivered_kbps() const { return sent_kbps < 0 ? -1 : sent_kbps * (1 - loss()); }

    // Fills in what is read over an interval (sent_kbps, fraction_lost, rtt_ms, nack_ratio) from
    // this report's counts and those of the one before it, `last`.
    void follow(const PathReport &last);
};

} // namespace callbox::media
