// The audio clock (docs/audio-clock.md): bursts on whole seconds, and the reader's self-check —
// a known delay added between the writer and the reader reads back as that delay.
#include "media/audio-clock.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using callbox::media::AudioClock;
using callbox::media::AudioClockReader;
using callbox::media::draw_audio_clock;

namespace {

constexpr int kRate = 48000;
constexpr std::int64_t kStartUs = 1764130000123456; // not on a second boundary

// Writes `seconds` of the clock in 10 ms buffers, as a source would, and reads it back with the
// reader's clock `delay_us` later, with noise at `noise` of full scale and gain `gain`; returns
// the latencies read.
std::vector<double> round_trip(std::int64_t delay_us, int seconds, double gain = 1,
                               double noise = 0)
{
    AudioClockReader reader;
    std::vector<double> read;
    std::mt19937 random(42);
    std::normal_distribution<double> gauss(0, noise * 32767);
    const std::size_t period = kRate / 100;
    std::vector<std::int16_t> buffer(period);
    for (std::int64_t t = kStartUs; t < kStartUs + seconds * 1000000LL; t += 10000) {
        draw_audio_clock(buffer.data(), buffer.size(), kRate, t);
        for (auto &s : buffer)
            s = static_cast<std::int16_t>(
                std::clamp(std::lround(s * gain + gauss(random)), -32768L, 32767L));
        for (double ms : reader.feed(buffer.data(), buffer.size(), kRate, t + delay_us))
            read.push_back(ms);
    }
    return read;
}

} // namespace

TEST(AudioClock, BurstsStartOnWholeSeconds)
{
    std::vector<std::int16_t> second(kRate);
    draw_audio_clock(second.data(), second.size(), kRate, 1764130000000000);
    // 40 ms of tone at -12 dBFS from the whole second, silence after it.
    const auto peak = [&](std::size_t from, std::size_t to) {
        int p = 0;
        for (std::size_t i = from; i < to; ++i)
            p = std::max(p, std::abs(static_cast<int>(second[i])));
        return p;
    };
    EXPECT_NEAR(peak(0, kRate * 40 / 1000), 32767 * AudioClock::kAmplitude, 50);
    EXPECT_EQ(peak(kRate * 40 / 1000, kRate), 0);
    EXPECT_LT(std::abs(second[0]), 10); // the ramp starts from silence
}

TEST(AudioClock, AKnownDelayReadsBack)
{
    for (std::int64_t delay_ms : {0, 37, 100, 250, 800}) {
        const auto read = round_trip(delay_ms * 1000, 6);
        ASSERT_GE(read.size(), 5u) << "delay " << delay_ms;
        for (double ms : read)
            EXPECT_NEAR(ms, static_cast<double>(delay_ms), 1.5) << "delay " << delay_ms;
    }
}

TEST(AudioClock, ReadsThroughGainAndNoise)
{
    // 6 dB quieter and noise 30 dB under the burst: still every second, still to the millisecond.
    const auto read = round_trip(60000, 6, 0.5, AudioClock::kAmplitude * 0.5 * 0.0316);
    ASSERT_GE(read.size(), 5u);
    for (double ms : read)
        EXPECT_NEAR(ms, 60.0, 1.5);
}
