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
    int constrained_calls = 0;   // of those on the layer
    double least_delivered = -1; // kbit/s, over the constrained calls on the layer
    for (const auto &[id, report] : calls) {
        Path &path = paths_[id];
        if (report.rtt_ms >= 0 && (path.min_rtt_ms < 0 || report.rtt_ms < path.min_rtt_ms))
            path.min_rtt_ms = report.rtt_ms;
        const double queueing = report.rtt_ms >= 0 ? report.rtt_ms - path.min_rtt_ms : 0;
        path.queueing = queueing > kQueueingMs;
        path.constrained = report.fraction_lost >= kLossConstrained ||
                           queueing > kQueueingAloneMs ||
                           (queueing > kQueueingMs && report.fraction_lost > 0);
        layer_calls += report.on_layer;
        constrained_calls += report.on_layer && path.constrained;
        if (report.on_layer && path.constrained && report.delivered_kbps >= 0 &&
            (least_delivered < 0 || report.delivered_kbps < least_delivered))
            least_delivered = report.delivered_kbps;
    }
    const bool all = layer_calls > 0 && constrained_calls == layer_calls;
    all_constrained_ = all ? all_constrained_ + 1 : 0;
    none_constrained_ = constrained_calls == 0 ? none_constrained_ + 1 : 0;
    if (all_constrained_ >= kSamplesToLower) {
        double lowered = target_kbps_ * kLowerBy;
        if (least_delivered >= 0)
            lowered = std::min(lowered, least_delivered * kBelowDelivered);
        target_kbps_ = std::max(min_kbps_, static_cast<unsigned>(std::lround(lowered)));
        all_constrained_ = 0;
    } else if (none_constrained_ >= kSamplesToRaise && target_kbps_ < max_kbps_) {
        target_kbps_ =
            std::min(max_kbps_, static_cast<unsigned>(std::lround(target_kbps_ * raise_by_)));
        none_constrained_ = 0;
    }
    return target_kbps_;
}

const BitrateController::Path *BitrateController::path(std::uint64_t call) const
{
    auto it = paths_.find(call);
    return it == paths_.end() ? nullptr : &it->second;
}

bool BitrateController::constrained(std::uint64_t call) const
{
    const Path *p = path(call);
    return p && p->constrained;
}

bool BitrateController::queueing(std::uint64_t call) const
{
    const Path *p = path(call);
    return p && p->queueing;
}

void BitrateController::restart(unsigned kbps)
{
    target_kbps_ = std::clamp(kbps, min_kbps_, max_kbps_);
    all_constrained_ = 0;
    none_constrained_ = 0;
}

} // namespace callbox::media
