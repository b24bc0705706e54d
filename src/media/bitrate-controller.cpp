// BitrateController: multiplicative decrease when the path of every caller on the layer is
// constrained, increase when none is; one caller's bad path alone never lowers what others get.
#include "media/bitrate-controller.hpp"

#include <algorithm>
#include <cmath>

namespace callbox::media {

unsigned BitrateController::update(const std::map<std::uint64_t, PathReport> &calls)
{
    std::erase_if(paths_, [&](const auto &p) { return !calls.contains(p.first); });
    int layer_calls = 0;
    int constrained_calls = 0; // of those on the layer
    for (const auto &[id, report] : calls) {
        Path &path = paths_[id];
        if (report.rtt_ms >= 0 && (path.min_rtt_ms < 0 || report.rtt_ms < path.min_rtt_ms))
            path.min_rtt_ms = report.rtt_ms;
        path.constrained = report.fraction_lost >= kLossConstrained ||
                           (report.rtt_ms >= 0 && report.rtt_ms > path.min_rtt_ms + kQueueingMs);
        layer_calls += report.on_layer;
        constrained_calls += report.on_layer && path.constrained;
    }
    const bool all = layer_calls > 0 && constrained_calls == layer_calls;
    all_constrained_ = all ? all_constrained_ + 1 : 0;
    none_constrained_ = constrained_calls == 0 ? none_constrained_ + 1 : 0;
    if (all_constrained_ >= kSamplesToLower) {
        target_kbps_ =
            std::max(min_kbps_, static_cast<unsigned>(std::lround(target_kbps_ * kLowerBy)));
        all_constrained_ = 0;
    } else if (none_constrained_ >= kSamplesToRaise && target_kbps_ < max_kbps_) {
        target_kbps_ =
            std::min(max_kbps_, static_cast<unsigned>(std::lround(target_kbps_ * kRaiseBy)));
        none_constrained_ = 0;
    }
    return target_kbps_;
}

bool BitrateController::constrained(std::uint64_t call) const
{
    auto it = paths_.find(call);
    return it != paths_.end() && it->second.constrained;
}

} // namespace callbox::media
