// LayerChooser: per-call hysteresis between the top and the low H.264 layer, with a back-off on
// the way up for a call that keeps coming back down.
#include "media/layer-chooser.hpp"

#include <algorithm>

namespace callbox::media {

Layer LayerChooser::update(std::uint64_t call, bool constrained, bool may_go_up)
{
    State &s = calls_[call];
    if (s.since_up >= 0 && ++s.since_up > 2 * s.up_after) {
        s.since_up = -1; // stayed up long enough: the next fall starts the back-off afresh
        s.up_after = kSamplesUp;
    }
    if (s.layer == Layer::Low)
        ++s.since_down;
    const bool away = s.layer == Layer::Top ? constrained : !constrained;
    s.run = away ? s.run + 1 : 0;
    const bool trial = s.since_up > 0 && s.since_up <= kTrialSamples;
    if (s.layer == Layer::Top && s.run >= (trial ? 1 : kSamplesDown)) {
        go_down(s);
    } else if (s.layer == Layer::Low && s.run >= kSamplesUp && s.since_down >= s.up_after &&
               may_go_up) {
        s.layer = Layer::Top;
        s.run = 0;
        s.since_up = 0;
    }
    return s.layer;
}

void LayerChooser::go_down(State &s)
{
    s.layer = Layer::Low;
    s.run = 0;
    if (s.since_up >= 0) // came back down soon after going up
        s.up_after = std::min(2 * s.up_after, kSamplesUpMax);
    s.since_up = -1;
    s.since_down = 0;
}

void LayerChooser::fail_trial(std::uint64_t call)
{
    auto it = calls_.find(call);
    if (it != calls_.end() && it->second.layer == Layer::Top && it->second.since_up == 0)
        go_down(it->second);
}

Layer LayerChooser::layer(std::uint64_t call) const
{
    auto it = calls_.find(call);
    return it == calls_.end() ? Layer::Top : it->second.layer;
}

bool LayerChooser::on_trial(std::uint64_t call) const
{
    auto it = calls_.find(call);
    return it != calls_.end() && it->second.layer == Layer::Top && it->second.since_up >= 0 &&
           it->second.since_up < kTrialSamples;
}

void LayerChooser::keep_only(const std::set<std::uint64_t> &calls)
{
    std::erase_if(calls_, [&](const auto &c) { return !calls.contains(c.first); });
}

} // namespace callbox::media
