// The audio clock (docs/audio-clock.md): tone bursts that start on whole seconds of the wall
// clock, written into raw audio, and the reader that finds their onsets in received audio.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace callbox::media {

// Version 1: every whole second of CLOCK_REALTIME a 1 kHz burst of 40 ms at -12 dBFS starts,
// with 2 ms raised-cosine ramps; silence in between.
struct AudioClock {
    static constexpr std::int64_t kPeriodUs = 1000000;
    static constexpr std::int64_t kBurstUs = 40000;
    static constexpr std::int64_t kRampUs = 2000;
    static constexpr double kFrequencyHz = 1000;
    static constexpr double kAmplitude = 0.251; // -12 dBFS
};

// Writes the clock into `n` mono S16 samples at `rate` Hz whose first sample is at wall-clock
// time `first_us` (microseconds since the Unix epoch); what was there is replaced.
void draw_audio_clock(std::int16_t *samples, std::size_t n, int rate, std::int64_t first_us);

// Finds burst onsets in a stream of mono S16 samples and turns each into a latency: the onset's
// wall-clock time minus the whole second it was sent at. Samples arrive in order with the
// wall-clock time of their first sample; the reader keeps its state between calls.
// The median and 95th percentile of latencies read (ms); zeros when none.
struct LatencySummary {
    double median_ms = 0;
    double p95_ms = 0;
    std::size_t samples = 0;
};
LatencySummary summarize(std::vector<double> latencies_ms);

class AudioClockReader
{
public:
    // Latencies (ms) of the bursts whose onsets lie in these samples.
    std::vector<double> feed(const std::int16_t *samples, std::size_t n, int rate,
                             std::int64_t first_us);

private:
    // The envelope: mean absolute value over 1 ms blocks; an onset is the first loud block
    // after at least 200 ms of quiet ones (quiet: under -24 dB of the burst's level and under
    // four times the noise floor, a slow average of quiet blocks).
    double block_sum_ = 0;
    double floor_ = 0;
    std::size_t block_fill_ = 0;
    std::int64_t quiet_us_ = 0;
    std::optional<std::int64_t> block_start_us_;
};

} // namespace callbox::media
