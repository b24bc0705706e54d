// EchoPath: measures the echo path's delay beyond the speaker's reported latency (what the
// speaker plays, found again in the microphone) and tells the echo canceller's probe about it.
#pragma once

#include <gst/gst.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <vector>

namespace callbox::media {

// The first channel of an interleaved 16-bit buffer on `pad`, with the running time of its first
// sample; false for other formats.
bool first_channel(GstPad *pad, GstBuffer *buffer, std::vector<std::int16_t> &mono, unsigned &rate,
                   GstClockTime &running_time);

// Finds by how much the microphone's signal lags the speaker's: generalised cross-correlation
// with phase transform (GCC-PHAT) of 1.5 s of both, at 8 kHz, over lags of −20 … +400 ms.
// Times are running times in nanoseconds: the speaker's samples at the time they are played,
// the microphone's at the time they were captured. Not thread-safe (EchoPath locks it).
class EchoDelayEstimator
{
public:
    static constexpr unsigned kRate = 8000;      // what both signals are reduced to
    static constexpr double kWindowMs = 1500;    // the microphone's span correlated
    static constexpr double kMaxDelayMs = 400;   // the longest echo path looked for
    static constexpr double kMaxEarlyMs = 20;    // an echo this much before its play time
    static constexpr double kMinConfidence = 8;  // peak / mean |correlation| to believe it
    static constexpr double kMinLevelDbfs = -60; // quieter speaker or microphone: no reading

    struct Estimate {
        double delay_ms;   // the microphone lags the played signal by this much
        double confidence; // the correlation's peak over its mean magnitude
    };

    EchoDelayEstimator();
    ~EchoDelayEstimator();
    EchoDelayEstimator(const EchoDelayEstimator &) = delete;
    EchoDelayEstimator &operator=(const EchoDelayEstimator &) = delete;

    // Mono S16 samples at `rate` (a multiple of 8 kHz), the first at `time_ns`. A chunk that does
    // not follow on from the previous one (a gap or overlap over 2 ms) starts the signal anew.
    void add_played(const std::int16_t *pcm, std::size_t n, unsigned rate, std::int64_t time_ns);
    void add_captured(const std::int16_t *pcm, std::size_t n, unsigned rate, std::int64_t time_ns);

    // The delay over the latest window both signals cover, if both carry sound there and the
    // correlation has a clear peak.
    std::optional<Estimate> estimate();

private:
    struct Track {
        std::deque<float> samples; // at kRate
        std::int64_t start_ns = 0; // the time of samples.front()
        std::int64_t next_ns = -1; // where the next input chunk is expected
        float sum = 0;             // decimation: the input samples not yet averaged
        unsigned summed = 0;
        void add(const std::int16_t *pcm, std::size_t n, unsigned rate, std::int64_t time_ns);
        std::int64_t end_ns() const;
        // `count` samples from `from_ns` on, if the track holds them.
        bool copy(std::int64_t from_ns, std::size_t count, float *out) const;
    };

    Track played_;
    Track captured_;
    struct Fft;
    Fft *fft_;
};

// Joins the speaker's probe (PlaybackMixer) and the microphone (CaptureGraph): both streaming
// threads feed it; four times a second (once while the last reading agrees with the path told)
// it estimates the delay, and when two readings in a row agree on a new one it moves the probe's
// view of the play time by that much.
class EchoPath
{
public:
    // `apply` is called (from the microphone's thread) with the delay to tell the canceller.
    explicit EchoPath(std::function<void(std::int64_t delay_ns)> apply) : apply_(std::move(apply))
    {
    }

    // Tells the canceller `measured_ms` (the last call's path) before anything is measured, so
    // a call starts cancelled; one reading that agrees confirms it. NaN: nothing.
    void start_from(double measured_ms);

    // The speaker's reported latency (from the LATENCY event its probe gets).
    void set_speaker_latency(GstClockTime latency) { speaker_latency_ = latency; }
    GstClockTime speaker_latency() const { return speaker_latency_; }

    // What reaches the speaker, at its running time (heard the speaker's latency later), and the
    // microphone before voice processing, at its running time: first channels (first_channel()).
    void played(const std::vector<std::int16_t> &mono, unsigned rate, GstClockTime running_time);
    void captured(const std::vector<std::int16_t> &mono, unsigned rate, GstClockTime running_time);

    // The echo path measured beyond the speaker's latency (ms; NaN until two readings agreed).
    double measured_ms() const { return measured_ms_.load(); }
    // The delay the canceller is told beyond the speaker's latency, in ms (0 until measured).
    double delay_ms() const { return std::max<std::int64_t>(applied_ns_.load(), 0) / 1e6; }
    unsigned readings() const { return readings_.load(); }

private:
    void consider(const EchoDelayEstimator::Estimate &e);
    static std::int64_t to_tell(double measured_ms); // what the canceller is told for a path

    std::function<void(std::int64_t)> apply_;
    std::atomic<GstClockTime> speaker_latency_{GST_CLOCK_TIME_NONE};
    std::mutex mutex_;
    EchoDelayEstimator estimator_;       // under mutex_
    std::uint64_t captured_samples_ = 0; // under mutex_
    std::optional<double> candidate_ms_; // under mutex_: the last reading, waiting for a second
    bool settled_ = false; // under mutex_: the last reading agreed with the path measured
    static constexpr std::int64_t kNothingTold = -1;
    std::atomic<std::int64_t> applied_ns_{kNothingTold};
    std::atomic<unsigned> readings_{0};
    std::atomic<double> measured_ms_{std::numeric_limits<double>::quiet_NaN()};
};

} // namespace callbox::media
