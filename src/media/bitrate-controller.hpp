// BitrateController: what one shared video encoding's bitrate should be, from each call's path
// estimate (its browser's RTCP receiver reports: loss and round trip, and what was sent). Pure
// logic, no GStreamer.
#pragma once

#include <cstdint>
#include <map>

namespace callbox::media {

class BitrateController
{
public:
    // What a call's receiver reports said in the last second.
    struct PathReport {
        double fraction_lost = 0; // 0..1, the last report's
        double rtt_ms = -1;       // -1: not measured yet
        // Whether the call gets the encoding this controller sets (its layer). A call on the
        // other layer is still judged (its own layer choice reads constrained()), but its path
        // says nothing about this layer: it neither holds the bitrate down nor keeps it from
        // rising again.
        bool on_layer = true;
        // What the path carried in the last second (sent less lost); -1: not known.
        double delivered_kbps = -1;
    };
    // A call whose loss reaches this, or whose round trip grows this far above its own
    // smallest while it loses anything at all, is constrained (its path carries less than it
    // is sent); so is one whose round trip grows kQueueingAloneMs with nothing lost. A grown
    // round trip with nothing lost is mostly the device's or the browser's own load: with two
    // Chromium callers and both layers on 2 busy cores, a clean loopback call read 165–680 ms
    // for seconds at a time, and was moved to the low layer for it (shaped.mjs --only layers).
    static constexpr double kLossConstrained = 0.05;
    static constexpr double kQueueingMs = 150;
    static constexpr double kQueueingAloneMs = 500;
    // Lowered after this many samples in a row with every call on the layer constrained (and
    // at least one there), by this factor.
    static constexpr int kSamplesToLower = 2;
    static constexpr double kLowerBy = 0.7;
    // ... or, when that is still above what the constrained paths on the layer carried, to this
    // share of the least of them: a path capped far below the rate gets there in one step
    // rather than in a series of 30 % cuts two seconds apart, each a second of heavy loss.
    static constexpr double kBelowDelivered = 0.85;
    // Raised after this many samples in a row with no call on the layer constrained.
    static constexpr int kSamplesToRaise = 2;
    static constexpr double kRaiseBy = 1.4;

    // `raise_by`: the step up (kRaiseBy unless the layer has a reason to climb faster).
    BitrateController(unsigned max_kbps, unsigned min_kbps, double raise_by = kRaiseBy)
        : max_kbps_(max_kbps), min_kbps_(min_kbps < max_kbps ? min_kbps : max_kbps),
          target_kbps_(max_kbps), raise_by_(raise_by)
    {
    }

    // One sample (about a second) of every call's report, keyed by call; returns the target.
    unsigned update(const std::map<std::uint64_t, PathReport> &calls);
    // Whether `call` counted as constrained in the last sample.
    bool constrained(std::uint64_t call) const;
    // Whether its round trip was kQueueingMs above its smallest in the last sample, lost
    // anything or not: the first sign of a queue, for a call trying the top layer.
    bool queueing(std::uint64_t call) const;
    unsigned target_kbps() const { return target_kbps_; }
    // Starts again from `kbps` (within the limits): for a layer a constrained call is moving
    // to while none was on it, at what that call's path carried.
    void restart(unsigned kbps);
    unsigned max_kbps() const { return max_kbps_; }
    void forget(std::uint64_t call) { paths_.erase(call); }

private:
    struct Path {
        double min_rtt_ms = -1;
        bool constrained = false;
        bool queueing = false;
    };
    unsigned max_kbps_;
    unsigned min_kbps_;
    unsigned target_kbps_;
    double raise_by_;
    int all_constrained_ = 0; // samples in a row
    int none_constrained_ = 0;
    std::map<std::uint64_t, Path> paths_;
    const Path *path(std::uint64_t call) const;
};

} // namespace callbox::media
