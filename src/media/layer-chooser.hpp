// LayerChooser: which of the two shared H.264 layers each call should be on, from whether its own
// path was constrained in each sample (BitrateController::constrained()). Pure logic.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string_view>

namespace callbox::media {

enum class Layer { Top, Low };
constexpr std::string_view layer_name(Layer l)
{
    return l == Layer::Top ? "top" : "low";
}

class LayerChooser
{
public:
    // Down after this many constrained samples in a row; up after kSamplesUp clear samples in a
    // row, and no sooner than a wait after it came down, which starts at kSamplesUp and doubles
    // (up to kSamplesUpMax) each time a call that went up comes back down within twice that
    // wait: a path capped near the top layer's rate does not flap
    // every few seconds. The ceiling is low because a failed try (on trial, below) costs about a
    // second, while a long wait is paid by every call whose path got better: with a ceiling of
    // 32, a call that tried twice behind a 300 kbit/s cap went up 14-16 s after the cap lifted
    // (bench/media/shaped.mjs --only cap); with 6, a try about every 7 s while the path stays bad.
    // A run up of 2 clear samples is enough since a clear sample on the low layer means no
    // queue either (MediaEngine::adapt_layers); with 3, a call was back on the top layer 4.9-6.9 s
    // after a cap lifted, 1 s of it this run.
    static constexpr int kSamplesDown = 2;
    static constexpr int kSamplesUp = 2;
    static constexpr int kSamplesUpMax = 6;
    // For this many samples after going up a call is on trial: one constrained sample sends
    // it back down, so a try on a path that cannot carry the top layer costs about a second.
    static constexpr int kTrialSamples = 3;

    // One sample for `call` (about a second); returns the layer it should be on now.
    // `may_go_up` false: a clear sample still counts towards the run up, but the call stays
    // on the low layer for now (the low layer's own rate has not been tried yet).
    Layer update(std::uint64_t call, bool constrained, bool may_go_up = true);
    Layer layer(std::uint64_t call) const;
    // Whether `call` went up to the top layer within the last kTrialSamples samples.
    bool on_trial(std::uint64_t call) const;
    // `call`'s try of the top layer failed before its first sample (MediaEngine's early look
    // at what the browser asked for again): back down, as on a constrained sample on trial.
    void fail_trial(std::uint64_t call);
    // Drops what it knew of the calls not in `calls`.
    void keep_only(const std::set<std::uint64_t> &calls);

private:
    struct State {
        Layer layer = Layer::Top;
        int run = 0;               // samples in a row pointing away from `layer`
        int up_after = kSamplesUp; // samples on the low layer before it may go up
        int since_down = 0;        // samples on the low layer since it came down
        int since_up = -1;         // samples since it last went up; -1: never, or long ago
    };
    static void go_down(State &s);
    std::map<std::uint64_t, State> calls_;
};

} // namespace callbox::media
