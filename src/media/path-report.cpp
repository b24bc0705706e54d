// PathReport::follow(): interval readings from two successive reports of the same call.
#include "media/path-report.hpp"

#include <optional>

namespace callbox::media {

namespace {

// The share of the packets the browser's report blocks expected between two samples that they
// count as lost (RFC 3550's interval loss, every stream of the call together; what the last
// sample said when no new block came). Not the blocks' own fraction lost: Chromium sends a
// report with every retransmission request, so a block's interval is often a handful of packets
// ending in the one just missed; with 2 % random loss the largest block read 8–33 %, and the
// only caller's layer was lowered for nothing.
double lost_since(const PathReport &a, const PathReport &b)
{
    double lost = 0, expected = 0;
    for (const auto &[ssrc, now] : b.streams) {
        auto it = a.streams.find(ssrc);
        if (it == a.streams.end())
            continue;
        expected += static_cast<guint32>(now.highest - it->second.highest);
        lost += std::max<gint64>(0, now.lost - it->second.lost);
    }
    return expected > 0 ? std::min(1.0, lost / expected) : a.fraction_lost;
}

// The round trip by the report blocks that are new since report `a`: the largest of theirs; with
// none new, nothing (the caller keeps what `a` said). Chromium reports on its video about once a
// second but on the sound only every five: the largest of every stream's last round trip kept a
// queue that had drained (a 300 kbit/s cap lifted) "constrained" for up to 7 s more
// (bench/media/shaped.mjs --only cap).
std::optional<double> rtt_since(const PathReport &a, const PathReport &b)
{
    std::optional<double> rtt;
    for (const auto &[ssrc, now] : b.streams) {
        auto it = a.streams.find(ssrc);
        if (it != a.streams.end() && it->second.lsr == now.lsr && it->second.dlsr == now.dlsr)
            continue;
        rtt = std::max(rtt.value_or(-1), now.rtt_ms);
    }
    return rtt;
}

} // namespace

void PathReport::follow(const PathReport &last)
{
    if (last.at_us > 0 && at_us > last.at_us && bytes_sent >= last.bytes_sent)
        sent_kbps = static_cast<double>(bytes_sent - last.bytes_sent) * 8e3 /
                    static_cast<double>(at_us - last.at_us);
    fraction_lost = lost_since(last, *this);
    const std::optional<double> rtt = rtt_since(last, *this);
    rtt_fresh = rtt.has_value();
    rtt_ms = rtt.value_or(last.rtt_ms);
    if (rtx.packets > last.rtx.packets)
        nack_ratio = static_cast<double>(rtx.first_requests - last.rtx.first_requests) /
                     static_cast<double>(rtx.packets - last.rtx.packets);
}

} // namespace callbox::media
