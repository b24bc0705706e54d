// The echo path's delay (media/echo-path.hpp): a played signal found again in a captured one,
// delayed, quieter and mixed with a near-end talker and noise, reads back as the delay added.
#include "media/echo-path.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using callbox::media::EchoDelayEstimator;
using callbox::media::EchoPath;

namespace {

constexpr unsigned kRate = 48000;
constexpr std::size_t kChunk = kRate / 100; // 10 ms buffers, as the pipelines push them
constexpr std::int64_t kChunkNs = 10'000'000;

// Pink-ish noise (white noise through a one-pole low-pass) at about -20 dBFS: like speech, most
// of its power low.
std::vector<double> far_end(std::size_t n, unsigned seed)
{
    std::mt19937 random(seed);
    std::normal_distribution<double> white(0, 6000);
    std::vector<double> x(n);
    double y = 0;
    for (auto &v : x)
        v = y = 0.7 * y + white(random);
    return x;
}

struct Room {
    double delay_ms;
    double gain = 0.3;      // the echo about 10 dB under what played
    double talker = 0;      // the near-end talker's amplitude (a 330 Hz tone)
    double noise = 30;      // the microphone's own noise
    bool correlated = true; // false: the microphone hears something else entirely
};

// Plays `seconds` of far-end sound into `add_played` and the room's microphone into
// `add_captured`, in 10 ms chunks, the microphone starting `mic_offset_ns` after the speaker.
template <typename Played, typename Captured>
void run_room(const Room &room, double seconds, Played add_played, Captured add_captured,
              std::int64_t mic_offset_ns = 3'000'000)
{
    const std::size_t n = static_cast<std::size_t>(seconds * kRate);
    const auto played = far_end(n + kRate, 1);
    const auto other = far_end(n + kRate, 2);
    std::mt19937 random(7);
    std::normal_distribution<double> hiss(0, room.noise);
    const auto delay = static_cast<std::ptrdiff_t>(std::lround(room.delay_ms * kRate / 1000));
    const auto mic_shift = static_cast<std::ptrdiff_t>(mic_offset_ns * kRate / 1'000'000'000);
    std::vector<std::int16_t> out(kChunk), in(kChunk);
    auto clip = [](double v) {
        return static_cast<std::int16_t>(std::clamp(v, -32768.0, 32767.0));
    };
    for (std::size_t c = 0; c * kChunk < n; ++c) {
        for (std::size_t i = 0; i < kChunk; ++i) {
            const auto t = static_cast<std::ptrdiff_t>(c * kChunk + i);
            out[i] = clip(played[t]);
            const std::ptrdiff_t heard = t + mic_shift - delay; // the played sample now in the air
            const double echo = heard < 0 ? 0 : (room.correlated ? played : other)[heard];
            in[i] = clip(room.gain * echo + room.talker * std::sin(2 * M_PI * 330 * t / kRate) +
                         hiss(random));
        }
        add_played(out, static_cast<std::int64_t>(c) * kChunkNs);
        add_captured(in, static_cast<std::int64_t>(c) * kChunkNs + mic_offset_ns);
    }
}

std::optional<EchoDelayEstimator::Estimate> estimate(const Room &room, double seconds = 2.5)
{
    EchoDelayEstimator e;
    run_room(
        room, seconds,
        [&](const std::vector<std::int16_t> &pcm, std::int64_t t) {
            e.add_played(pcm.data(), pcm.size(), kRate, t);
        },
        [&](const std::vector<std::int16_t> &pcm, std::int64_t t) {
            e.add_captured(pcm.data(), pcm.size(), kRate, t);
        });
    return e.estimate();
}

// A room into an EchoPath whose speaker has 40 ms of latency: what plays at t was given to the
// speaker at t - 40 ms, in running times that start at 100 ms.
void feed(EchoPath &path, const Room &room, double seconds)
{
    run_room(
        room, seconds,
        [&](const std::vector<std::int16_t> &pcm, std::int64_t t) {
            path.played(pcm, kRate, static_cast<GstClockTime>(t) - 40'000'000 + 100'000'000);
        },
        [&](const std::vector<std::int16_t> &pcm, std::int64_t t) {
            path.captured(pcm, kRate, static_cast<GstClockTime>(t) + 100'000'000);
        });
}

} // namespace

TEST(EchoDelay, ReadsBackTheDelayAdded)
{
    for (double delay : {0.0, 12.5, 37.0, 60.0, 145.0, 250.0, 390.0}) {
        const auto e = estimate({delay});
        ASSERT_TRUE(e) << delay << " ms";
        EXPECT_NEAR(e->delay_ms, delay, 0.5) << delay << " ms";
        EXPECT_GE(e->confidence, EchoDelayEstimator::kMinConfidence);
    }
}

TEST(EchoDelay, ReadsItUnderANearEndTalkerAndAQuietEcho)
{
    // The echo 26 dB under what played, a talker 6 dB over the echo: double talk.
    const auto e = estimate({.delay_ms = 80, .gain = 0.05, .talker = 600, .noise = 60});
    ASSERT_TRUE(e);
    EXPECT_NEAR(e->delay_ms, 80, 0.5);
}

TEST(EchoDelay, AnEchoBeforeItsPlayTimeReadsNegative)
{
    // A speaker that renders early (as the room's did before its render-delay fix) shows as such.
    const auto e = estimate({-15});
    ASSERT_TRUE(e);
    EXPECT_NEAR(e->delay_ms, -15, 0.5);
}

TEST(EchoDelay, NoReadingWithoutAnEcho)
{
    EXPECT_FALSE(estimate({.delay_ms = 50, .correlated = false}));
    EXPECT_FALSE(estimate({.delay_ms = 50, .gain = 0, .talker = 0, .noise = 0})); // silence
    EXPECT_FALSE(estimate({50}, 1.0)); // not yet a whole window of both
}

TEST(EchoDelay, AGapStartsTheSignalAnew)
{
    EchoDelayEstimator e;
    std::int64_t gap = 0;
    bool gapped = false;
    run_room(
        {70}, 2.5,
        [&](const std::vector<std::int16_t> &pcm, std::int64_t t) {
            e.add_played(pcm.data(), pcm.size(), kRate, t + gap);
        },
        [&](const std::vector<std::int16_t> &pcm, std::int64_t t) {
            if (!gapped && t > 2'000'000'000) { // the speaker's stream jumps 100 ms at 2 s
                gap = 100'000'000;
                gapped = true;
            }
            e.add_captured(pcm.data(), pcm.size(), kRate, t);
        });
    EXPECT_FALSE(e.estimate()) << "half a second of played sound since the gap";
}

TEST(EchoPath, TellsTheCancellerOnceTwoReadingsAgree)
{
    std::vector<std::int64_t> told;
    EchoPath path([&](std::int64_t ns) { told.push_back(ns); });
    path.set_speaker_latency(40'000'000);
    EXPECT_TRUE(std::isnan(path.measured_ms()));
    feed(path, {90}, 3.0);
    ASSERT_EQ(told.size(), 1u) << "told once, and not again for the same reading";
    EXPECT_NEAR(path.measured_ms(), 90, 0.5);
    // told 5 ms less than measured: the canceller's filter reaches a little before its delay
    EXPECT_NEAR(told[0] / 1e6, 85, 0.5);
    EXPECT_NEAR(path.delay_ms(), 85, 0.5);
    EXPECT_GE(path.readings(), 2u);
}

TEST(EchoPath, SaysNothingWithoutTheSpeakersLatency)
{
    int told = 0;
    EchoPath path([&](std::int64_t) { ++told; });
    run_room(
        {30}, 3.0,
        [&](const std::vector<std::int16_t> &pcm, std::int64_t t) {
            path.played(pcm, kRate, static_cast<GstClockTime>(t));
        },
        [&](const std::vector<std::int16_t> &pcm, std::int64_t t) {
            path.captured(pcm, kRate, static_cast<GstClockTime>(t));
        });
    EXPECT_EQ(told, 0);
    EXPECT_EQ(path.readings(), 0u);
}

TEST(EchoPath, StartsFromTheLastCallsPathAndOneReadingConfirmsIt)
{
    std::vector<std::int64_t> told;
    EchoPath path([&](std::int64_t ns) { told.push_back(ns); });
    path.start_from(std::nan("")); // no last call: nothing told
    EXPECT_TRUE(told.empty());
    path.start_from(90);
    ASSERT_EQ(told.size(), 1u) << "told before anything is measured";
    EXPECT_NEAR(told[0] / 1e6, 85, 0.01);
    EXPECT_TRUE(std::isnan(path.measured_ms())) << "not measured in this call yet";
    path.set_speaker_latency(40'000'000);
    feed(path, {90}, 2.2);
    EXPECT_NEAR(path.measured_ms(), 90, 0.5) << "confirmed by the first reading";
    EXPECT_EQ(told.size(), 1u) << "the same path is not told again";
}
