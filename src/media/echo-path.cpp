// EchoPath: the echo path's delay by GCC-PHAT, and the canceller's probe told about it.
#include "media/echo-path.hpp"

#include <gst/audio/audio.h>
#include <gst/fft/gstfftf32.h>

#include <algorithm>
#include <cmath>

namespace callbox::media {

namespace {

constexpr std::int64_t kSampleNs = GST_SECOND / EchoDelayEstimator::kRate; // 125 µs exactly
constexpr std::size_t samples_of(double ms)
{
    return static_cast<std::size_t>(ms * EchoDelayEstimator::kRate / 1000);
}
constexpr std::size_t kWindow = samples_of(EchoDelayEstimator::kWindowMs);
constexpr std::size_t kMaxLag = samples_of(EchoDelayEstimator::kMaxDelayMs);
constexpr std::size_t kEarly = samples_of(EchoDelayEstimator::kMaxEarlyMs);
constexpr std::size_t kReference = kWindow + kMaxLag + kEarly;
constexpr std::size_t kFftLength = 16384; // ≥ kReference: no circular wrap in the lags looked at
static_assert(kReference <= kFftLength);
constexpr std::size_t kKept = kReference + samples_of(1000); // a second more, for the other side

double level_dbfs(const std::vector<float> &x, std::size_t n)
{
    double energy = 0;
    for (std::size_t i = 0; i < n; ++i)
        energy += static_cast<double>(x[i]) * x[i];
    const double rms = std::sqrt(energy / static_cast<double>(std::max<std::size_t>(n, 1)));
    return 20 * std::log10(std::max(rms / 32768.0, 1e-9));
}

} // namespace

struct EchoDelayEstimator::Fft {
    GstFFTF32 *forward = gst_fft_f32_new(kFftLength, FALSE);
    GstFFTF32 *inverse = gst_fft_f32_new(kFftLength, TRUE);
    std::vector<float> captured = std::vector<float>(kFftLength);
    std::vector<float> played = std::vector<float>(kFftLength);
    std::vector<GstFFTF32Complex> c = std::vector<GstFFTF32Complex>(kFftLength / 2 + 1);
    std::vector<GstFFTF32Complex> p = std::vector<GstFFTF32Complex>(kFftLength / 2 + 1);
    std::vector<float> correlation = std::vector<float>(kFftLength);
    ~Fft()
    {
        gst_fft_f32_free(forward);
        gst_fft_f32_free(inverse);
    }
};

EchoDelayEstimator::EchoDelayEstimator() : fft_(new Fft) {}

EchoDelayEstimator::~EchoDelayEstimator()
{
    delete fft_;
}

void EchoDelayEstimator::Track::add(const std::int16_t *pcm, std::size_t n, unsigned rate,
                                    std::int64_t time_ns)
{
    if (rate == 0 || rate % kRate != 0 || n == 0)
        return;
    if (next_ns < 0 || std::llabs(time_ns - next_ns) > 2 * GST_MSECOND) {
        samples.clear();
        sum = 0;
        summed = 0;
        start_ns = time_ns;
    }
    const unsigned factor = rate / kRate;
    for (std::size_t i = 0; i < n; ++i) {
        sum += pcm[i];
        if (++summed == factor) {
            samples.push_back(sum / static_cast<float>(factor));
            sum = 0;
            summed = 0;
        }
    }
    next_ns = time_ns + static_cast<std::int64_t>(n) * GST_SECOND / rate;
    while (samples.size() > kKept) {
        samples.pop_front();
        start_ns += kSampleNs;
    }
}

std::int64_t EchoDelayEstimator::Track::end_ns() const
{
    return start_ns + static_cast<std::int64_t>(samples.size()) * kSampleNs;
}

bool EchoDelayEstimator::Track::copy(std::int64_t from_ns, std::size_t count, float *out) const
{
    const std::int64_t first = (from_ns - start_ns + kSampleNs / 2) / kSampleNs;
    if (from_ns < start_ns ||
        first + static_cast<std::int64_t>(count) > static_cast<std::int64_t>(samples.size()))
        return false;
    std::copy_n(samples.begin() + first, count, out);
    return true;
}

void EchoDelayEstimator::add_played(const std::int16_t *pcm, std::size_t n, unsigned rate,
                                    std::int64_t time_ns)
{
    played_.add(pcm, n, rate, time_ns);
}

void EchoDelayEstimator::add_captured(const std::int16_t *pcm, std::size_t n, unsigned rate,
                                      std::int64_t time_ns)
{
    captured_.add(pcm, n, rate, time_ns);
}

std::optional<EchoDelayEstimator::Estimate> EchoDelayEstimator::estimate()
{
    // The microphone's window [end − kWindow, end) against what played from kMaxLag before it to
    // kEarly after it: correlation[j] = Σ captured[n] · played[n + j], lag = kMaxLag − j.
    const std::int64_t end = std::min(
        captured_.end_ns(), played_.end_ns() - static_cast<std::int64_t>(kEarly) * kSampleNs);
    const std::int64_t from = end - static_cast<std::int64_t>(kWindow) * kSampleNs;
    Fft &f = *fft_;
    std::fill(f.captured.begin(), f.captured.end(), 0.0f);
    std::fill(f.played.begin(), f.played.end(), 0.0f);
    if (!captured_.copy(from, kWindow, f.captured.data()) ||
        !played_.copy(from - static_cast<std::int64_t>(kMaxLag) * kSampleNs, kReference,
                      f.played.data()))
        return std::nullopt;
    if (level_dbfs(f.captured, kWindow) < kMinLevelDbfs ||
        level_dbfs(f.played, kReference) < kMinLevelDbfs)
        return std::nullopt;
    gst_fft_f32_fft(f.forward, f.captured.data(), f.c.data());
    gst_fft_f32_fft(f.forward, f.played.data(), f.p.data());
    for (std::size_t k = 0; k < f.c.size(); ++k) {
        // conj(C) · P, whitened: every frequency counts by its phase alone.
        const float re = f.c[k].r * f.p[k].r + f.c[k].i * f.p[k].i;
        const float im = f.c[k].r * f.p[k].i - f.c[k].i * f.p[k].r;
        const float magnitude = std::hypot(re, im);
        f.c[k] = magnitude > 1e-6f ? GstFFTF32Complex{re / magnitude, im / magnitude}
                                   : GstFFTF32Complex{0, 0};
    }
    gst_fft_f32_inverse_fft(f.inverse, f.c.data(), f.correlation.data());
    std::size_t best = 0;
    double sum = 0;
    for (std::size_t j = 0; j <= kMaxLag + kEarly; ++j) {
        sum += std::fabs(f.correlation[j]);
        if (f.correlation[j] > f.correlation[best])
            best = j;
    }
    const double mean = sum / static_cast<double>(kMaxLag + kEarly + 1);
    if (mean <= 0)
        return std::nullopt;
    const Estimate e{(static_cast<double>(kMaxLag) - static_cast<double>(best)) * 1000.0 / kRate,
                     f.correlation[best] / mean};
    if (e.confidence < kMinConfidence)
        return std::nullopt;
    return e;
}

bool first_channel(GstPad *pad, GstBuffer *buffer, std::vector<std::int16_t> &mono, unsigned &rate,
                   GstClockTime &running_time)
{
    GstCaps *caps = gst_pad_get_current_caps(pad);
    GstAudioInfo info;
    const bool s16 = caps && gst_audio_info_from_caps(&info, caps) &&
                     GST_AUDIO_INFO_FORMAT(&info) == GST_AUDIO_FORMAT_S16 &&
                     GST_AUDIO_INFO_LAYOUT(&info) == GST_AUDIO_LAYOUT_INTERLEAVED;
    if (caps)
        gst_caps_unref(caps);
    GstEvent *event = s16 ? gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0) : nullptr;
    if (!event)
        return false;
    const GstSegment *segment = nullptr;
    gst_event_parse_segment(event, &segment);
    running_time = gst_segment_to_running_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
    gst_event_unref(event);
    GstMapInfo map;
    if (!GST_CLOCK_TIME_IS_VALID(running_time) || !gst_buffer_map(buffer, &map, GST_MAP_READ))
        return false;
    const int channels = GST_AUDIO_INFO_CHANNELS(&info);
    const auto *pcm = reinterpret_cast<const std::int16_t *>(map.data);
    mono.resize(map.size / 2 / channels);
    for (std::size_t i = 0; i < mono.size(); ++i)
        mono[i] = pcm[i * channels];
    gst_buffer_unmap(buffer, &map);
    rate = GST_AUDIO_INFO_RATE(&info);
    return true;
}

void EchoPath::played(const std::vector<std::int16_t> &mono, unsigned rate,
                      GstClockTime running_time)
{
    const GstClockTime latency = speaker_latency_;
    if (!GST_CLOCK_TIME_IS_VALID(latency))
        return;
    std::lock_guard lock(mutex_);
    estimator_.add_played(mono.data(), mono.size(), rate,
                          static_cast<std::int64_t>(running_time + latency));
}

void EchoPath::captured(const std::vector<std::int16_t> &mono, unsigned rate,
                        GstClockTime running_time)
{
    if (rate == 0)
        return;
    std::optional<EchoDelayEstimator::Estimate> reading;
    {
        std::lock_guard lock(mutex_);
        estimator_.add_captured(mono.data(), mono.size(), rate,
                                static_cast<std::int64_t>(running_time));
        captured_samples_ += mono.size();
        // Four readings a second until the last one agrees with the path told (at the start,
        // and when the path moves), then one.
        if (captured_samples_ < (settled_ ? rate : rate / 4))
            return;
        captured_samples_ = 0;
        reading = estimator_.estimate();
    }
    if (reading)
        consider(*reading);
}

std::int64_t EchoPath::to_tell(double measured_ms)
{
    // The canceller's filter reaches a little before the delay it is told (webrtc-audio-
    // processing 0.3.1's extended filter: about 16 ms), not after it: tell it kLeadMs less, so
    // a reading a few ms late, or a path that shortens by a period, stays inside.
    constexpr double kLeadMs = 5;
    return static_cast<std::int64_t>(std::max(0.0, measured_ms - kLeadMs) * 1e6);
}

void EchoPath::start_from(double measured_ms)
{
    if (std::isnan(measured_ms))
        return;
    {
        std::lock_guard lock(mutex_);
        candidate_ms_ = measured_ms; // one reading that agrees confirms it
    }
    const std::int64_t told = to_tell(measured_ms);
    applied_ns_ = told;
    g_message("media: echo path: the canceller starts from the last call's %.1f ms (told %.1f ms)",
              measured_ms, told / 1e6);
    apply_(told);
}

void EchoPath::consider(const EchoDelayEstimator::Estimate &e)
{
    ++readings_;
    g_debug("media: echo path reading %.1f ms (peak %.0f times the mean)", e.delay_ms,
            e.confidence);
    std::optional<double> agreed;
    {
        std::lock_guard lock(mutex_);
        if (candidate_ms_ && std::fabs(*candidate_ms_ - e.delay_ms) <= 1.0)
            agreed = (*candidate_ms_ + e.delay_ms) / 2;
        candidate_ms_ = e.delay_ms;
    }
    if (agreed)
        measured_ms_ = *agreed;
    {
        std::lock_guard lock(mutex_);
        settled_ = std::fabs(e.delay_ms - measured_ms_.load()) <= 1.0; // false while NaN
    }
    if (!agreed)
        return;
    const std::int64_t told = to_tell(*agreed);
    const std::int64_t before = applied_ns_.load();
    if (before != kNothingTold && std::llabs(told - before) < GST_MSECOND)
        return;
    applied_ns_ = told;
    g_message(
        "media: echo path %.1f ms beyond the speaker's latency: the canceller is told %.1f ms "
        "(correlation peak %.0f times its mean)",
        *agreed, told / 1e6, e.confidence);
    apply_(told);
}

} // namespace callbox::media
