// The audio clock: bursts drawn from the wall clock, onsets found by a 1 ms envelope.
#include "media/audio-clock.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace callbox::media {

namespace {

// Mean |x| of a full-scale-relative sine of amplitude A: 2A/π.
constexpr double kBurstMean = 2 * AudioClock::kAmplitude / std::numbers::pi * 32767;

double ramp(std::int64_t into_us)
{
    const auto r = static_cast<double>(AudioClock::kRampUs);
    const std::int64_t to_end = AudioClock::kBurstUs - into_us;
    const double edge = static_cast<double>(std::min(into_us, to_end));
    return edge >= r ? 1.0 : 0.5 - 0.5 * std::cos(std::numbers::pi * edge / r);
}

} // namespace

void draw_audio_clock(std::int16_t *samples, std::size_t n, int rate, std::int64_t first_us)
{
    for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t t = first_us + static_cast<std::int64_t>(i) * 1000000 / rate;
        const std::int64_t into =
            ((t % AudioClock::kPeriodUs) + AudioClock::kPeriodUs) % AudioClock::kPeriodUs;
        if (into >= AudioClock::kBurstUs) {
            samples[i] = 0;
            continue;
        }
        const double phase =
            2 * std::numbers::pi * AudioClock::kFrequencyHz * static_cast<double>(into) / 1e6;
        samples[i] = static_cast<std::int16_t>(
            std::lround(32767 * AudioClock::kAmplitude * ramp(into) * std::sin(phase)));
    }
}

LatencySummary summarize(std::vector<double> v)
{
    if (v.empty())
        return {};
    std::sort(v.begin(), v.end());
    return {v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 95 / 100)], v.size()};
}

std::vector<double> AudioClockReader::feed(const std::int16_t *samples, std::size_t n, int rate,
                                           std::int64_t first_us)
{
    std::vector<double> out;
    const std::size_t block = static_cast<std::size_t>(rate) / 1000; // 1 ms
    for (std::size_t i = 0; i < n && block > 0; ++i) {
        if (block_fill_ == 0)
            block_start_us_ = first_us + static_cast<std::int64_t>(i) * 1000000 / rate;
        block_sum_ += std::abs(static_cast<double>(samples[i]));
        if (++block_fill_ < block)
            continue;
        const double mean = block_sum_ / static_cast<double>(block);
        const std::int64_t at = *block_start_us_;
        block_sum_ = 0;
        block_fill_ = 0;
        // Quiet: under a sixteenth of the burst's level (-24 dB) and four times the floor.
        const double threshold = std::max(kBurstMean / 16, 4 * floor_);
        if (mean < threshold) {
            quiet_us_ += 1000;
            floor_ = floor_ == 0 ? mean : 0.99 * floor_ + 0.01 * mean;
            continue;
        }
        if (quiet_us_ >= 200000) {
            // Sent at the whole second before the onset (latency under a second). The onset lies
            // in this first loud block: the reading is early by less than 1 ms.
            const std::int64_t sent =
                at - ((at % AudioClock::kPeriodUs) + AudioClock::kPeriodUs) % AudioClock::kPeriodUs;
            out.push_back(static_cast<double>(at - sent) / 1000.0);
        }
        quiet_us_ = 0;
    }
    return out;
}

} // namespace callbox::media
