// The self-test's checks: elements, camera, microphone, speaker and the tone between them,
// screen, and a trial encode through each encoder; the table and the JSON of the result.
#include "media/self-test.hpp"

#include "media/capture-graph.hpp"
#include "media/encoder-choice.hpp"
#include "media/gst-elements.hpp"
#include "media/pipeline-run.hpp"
#include "media/video-source.hpp"
#include "protocol/json-writer.hpp"

#include <gst/gst.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <numbers>
#include <set>

namespace callbox::media {

namespace {

constexpr double kRate = 48000;
// How long a device may take to deliver before its row fails: a watchdog for a device that
// hangs, generous so that a busy board (or a test machine) is not mistaken for a broken one.
constexpr double kDeviceWatchdogS = 30;

SelfTestRow row(std::string check, bool ok, std::string chose, std::string detail,
                bool required = true)
{
    std::string package = missing_package(detail);
    return {std::move(check), ok ? "ok" : "FAILED", required,
            std::move(chose), std::move(detail),    std::move(package)};
}

// A pipelines/ file loaded with the settings' variables and `extra`; on failure, a row that says
// why (and the package, when an element is missing).
ElementPtr load(const MediaSettings &s, const std::string &file, Variables extra,
                std::string &error)
{
    Variables vars = pipeline_variables(s);
    for (auto &[k, v] : extra)
        vars[k] = v;
    return load_pipeline_file(s.pipelines_dir, file, vars, error);
}

SelfTestRow check_elements()
{
    const std::vector<std::string> missing = missing_required_elements();
    std::set<std::string> packages;
    std::string names;
    for (const std::string &m : missing) {
        packages.insert(package_for(m));
        names += (names.empty() ? "" : ", ") + m;
    }
    SelfTestRow r = row("GStreamer elements", missing.empty(), "every element calls need",
                        missing.empty() ? "all installed" : "missing: " + names);
    for (const std::string &p : packages)
        r.package += (r.package.empty() ? "" : ", ") + p;
    if (!missing.empty())
        r.result = "missing";
    return r;
}

SelfTestRow check_camera(const MediaSettings &s)
{
    const VideoSourcePlan plan = plan_video_source(s);
    std::string error;
    ElementPtr source = load_video_source(s, plan, error);
    ElementPtr convert = source ? make_element("videoconvert", nullptr, error) : nullptr;
    ElementPtr scale = convert ? make_element("videoscale", nullptr, error) : nullptr;
    ElementPtr caps = scale ? make_element("capsfilter", nullptr, error) : nullptr;
    if (!caps)
        return row("camera", false, plan.summary, error);
    CapsPtr raw(gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width",
                                    G_TYPE_INT, s.width, "height", G_TYPE_INT, s.height,
                                    "framerate", GST_TYPE_FRACTION, plan.framerate, 1, nullptr));
    g_object_set(caps.get(), "caps", raw.get(), nullptr);
    PipelineRun run;
    const int chain = run.add_chain({source.get(), convert.get(), scale.get(), caps.get()}, error);
    if (chain < 0)
        return row("camera", false, plan.summary, error);
    constexpr std::uint64_t kFrames = 15;
    const RunResult r = run.wait([&] { return run.count(chain) >= kFrames; }, kDeviceWatchdogS);
    const std::uint64_t frames = run.count(chain);
    const bool ok = frames >= kFrames && r.error.empty();
    return row("camera", ok, plan.summary,
               !r.error.empty() ? r.error
               : ok ? std::to_string(frames) + " frames of " + std::to_string(s.width) + "x" +
                          std::to_string(s.height) + " in " + r.seconds_text()
                    : "only " + std::to_string(frames) + " frames in " + r.seconds_text());
}

// What the microphone captured before and while the speaker played the tone.
struct Listener {
    std::mutex lock;
    bool tone_phase = false;
    std::vector<float> before, during;

    std::size_t samples(bool during_tone)
    {
        std::lock_guard guard(lock);
        return (during_tone ? during : before).size();
    }

    static GstPadProbeReturn on_buffer(GstPad *, GstPadProbeInfo *info, gpointer self)
    {
        auto *l = static_cast<Listener *>(self);
        GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
        GstMapInfo map;
        if (!buffer || !gst_buffer_map(buffer, &map, GST_MAP_READ))
            return GST_PAD_PROBE_OK;
        const auto *samples = reinterpret_cast<const float *>(map.data);
        const std::size_t n = map.size / sizeof(float);
        {
            std::lock_guard guard(l->lock);
            std::vector<float> &into = l->tone_phase ? l->during : l->before;
            if (into.size() < 4 * static_cast<std::size_t>(kRate)) // at most 4 s kept
                into.insert(into.end(), samples, samples + n);
        }
        gst_buffer_unmap(buffer, &map);
        return GST_PAD_PROBE_OK;
    }
};

std::string share_text(double share)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.2f", share);
    return buf;
}

// Microphone, speaker, and whether the microphone hears the speaker's tone.
void check_sound(const MediaSettings &s, std::vector<SelfTestRow> &rows)
{
    using config::AudioSink, config::AudioSource;
    const bool test_mic = s.audio_source == AudioSource::Test;
    const std::string mic_name =
        test_mic ? "test tone (" + std::to_string(static_cast<int>(kTestMicrophoneHz)) + " Hz)"
                 : "ALSA " + s.audio_device;
    const std::string speaker_name = s.audio_sink == AudioSink::Fake ? "none (audio_sink = fake)"
                                     : s.audio_sink == AudioSink::Alsa
                                         ? "ALSA " + s.audio_sink_device
                                         : "the desktop's (auto)";
    std::string error;
    // Declared before the run that feeds it, so it outlives the microphone's streaming thread:
    // the run stops its pipeline when it goes, and locals go in reverse order. (Declared after
    // it, the listener went first and the thread's last buffers were appended to its freed
    // vectors: the heap corruption glibc reported as "unaligned tcache chunk" in
    // admin-self-test.)
    Listener listener;
    ElementPtr mic = load(s, source_file(s.audio_source), {}, error);
    ElementPtr convert = mic ? make_element("audioconvert", nullptr, error) : nullptr;
    ElementPtr resample = convert ? make_element("audioresample", nullptr, error) : nullptr;
    ElementPtr caps = resample ? make_element("capsfilter", nullptr, error) : nullptr;
    PipelineRun mic_run;
    int mic_chain = -1;
    if (caps) {
        CapsPtr f32(gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "F32LE", "rate",
                                        G_TYPE_INT, static_cast<int>(kRate), "channels", G_TYPE_INT,
                                        1, "layout", G_TYPE_STRING, "interleaved", nullptr));
        g_object_set(caps.get(), "caps", f32.get(), nullptr);
        mic_chain =
            mic_run.add_chain({mic.get(), convert.get(), resample.get(), caps.get()}, error);
    }
    if (mic_chain >= 0)
        gst_pad_add_probe(mic_run.counted_pad(mic_chain), GST_PAD_PROBE_TYPE_BUFFER,
                          Listener::on_buffer, &listener, nullptr);
    // Half a second of what the room sounds like, then the tone for a second and a half.
    const std::size_t half_second = static_cast<std::size_t>(kRate / 2);
    RunResult heard;
    if (mic_chain >= 0)
        heard =
            mic_run.wait([&] { return listener.samples(false) >= half_second; }, kDeviceWatchdogS);
    else
        heard.error = error;
    const bool mic_ok = heard.error.empty() && listener.samples(false) >= half_second;
    rows.push_back(row("microphone", mic_ok, mic_name,
                       mic_ok ? "0.5 s of sound in " + heard.seconds_text()
                       : !heard.error.empty()
                           ? heard.error
                           : "no sound within " + std::to_string(int(kDeviceWatchdogS)) + " s"));

    std::string speaker_error;
    ElementPtr tone =
        load(s, "self-test-tone",
             {{"TONE_HZ", std::to_string(static_cast<int>(kSpeakerToneHz))}, {"BUFFERS", "250"}},
             speaker_error);
    ElementPtr speaker = tone ? load(s, sink_file(s.audio_sink), {}, speaker_error) : nullptr;
    PipelineRun speaker_run;
    const int speaker_chain =
        speaker ? speaker_run.add_chain({tone.get(), speaker.get()}, speaker_error, true) : -1;
    {
        std::lock_guard guard(listener.lock);
        listener.tone_phase = true;
    }
    RunResult played;
    if (speaker_chain >= 0 && speaker_run.start(speaker_error)) {
        if (mic_ok)
            mic_run.wait([&] { return listener.samples(true) >= 3 * half_second; },
                         kDeviceWatchdogS);
        played = speaker_run.wait([&] { return speaker_run.count(speaker_chain) >= 100; },
                                  kDeviceWatchdogS);
    } else {
        played.error = speaker_error;
    }
    const std::uint64_t buffers = speaker_run.count(speaker_chain);
    const bool speaker_ok = played.error.empty() && buffers >= 100;
    rows.push_back(row("speaker", speaker_ok, speaker_name,
                       !played.error.empty() ? played.error
                       : speaker_ok
                           ? "played 1 s of a " + std::to_string(int(kSpeakerToneHz)) + " Hz tone"
                           : "took only " + std::to_string(buffers) + " of 100 buffers"));

    std::lock_guard guard(listener.lock);
    const double tone_before = tone_share(listener.before, kRate, kSpeakerToneHz);
    const double tone_during = tone_share(listener.during, kRate, kSpeakerToneHz);
    const double own_tone = tone_share(listener.during, kRate, kTestMicrophoneHz);
    const std::string chose = "listen for " + std::to_string(int(kSpeakerToneHz)) +
                              " Hz on the microphone while the speaker plays it";
    if (!mic_ok || !speaker_ok) {
        rows.push_back(row("tone: speaker → microphone", false, chose,
                           "not checked: the microphone or the speaker does not work"));
        return;
    }
    if (test_mic || s.audio_sink == AudioSink::Fake) {
        // Nothing can carry the tone from a fake speaker or into the test microphone. What is
        // checked instead: the detector finds the test microphone's own tone, and does not take
        // it for the speaker's.
        const bool detector_ok = !test_mic || (own_tone > 0.5 && tone_during < 0.05);
        SelfTestRow r = row("tone: speaker → microphone", detector_ok, chose,
                            std::string("not checked: ") +
                                (test_mic ? "the test microphone cannot hear a speaker"
                                          : "there is no speaker (audio_sink = fake)") +
                                (test_mic ? "; the detector hears the test microphone's " +
                                                std::to_string(int(kTestMicrophoneHz)) +
                                                " Hz (share " + share_text(own_tone) + ") and no " +
                                                std::to_string(int(kSpeakerToneHz)) +
                                                " Hz (share " + share_text(tone_during) + ")"
                                          : ""),
                            !detector_ok);
        if (detector_ok)
            r.result = "skipped";
        rows.push_back(std::move(r));
        return;
    }
    // Heard: the tone stands out of what the microphone picks up, and was not there before.
    const bool ok = tone_during >= 0.05 && tone_during >= 5 * tone_before;
    rows.push_back(row("tone: speaker → microphone", ok, chose,
                       std::string(ok ? "heard" : "not heard") + ": share of " +
                           std::to_string(int(kSpeakerToneHz)) + " Hz " + share_text(tone_during) +
                           " while playing, " + share_text(tone_before) +
                           " before (heard from 0.05 and 5× before)"));
}

SelfTestRow check_screen(const MediaSettings &s)
{
    const std::string chose = "video_sink = " + std::string(config::name(s.video_sink));
    std::string error;
    ElementPtr frames = load(s, "self-test-video", {{"BUFFERS", "15"}}, error);
    ElementPtr screen = frames ? load(s, sink_file(s.video_sink), {}, error) : nullptr;
    PipelineRun run;
    const int chain = screen ? run.add_chain({frames.get(), screen.get()}, error, true) : -1;
    if (chain < 0)
        return row("screen", false, chose, error);
    const RunResult r = run.until_end(run.counted_pad(chain), kDeviceWatchdogS);
    const bool ok = r.ended && r.error.empty();
    return row("screen", ok, chose,
               !r.error.empty() ? r.error
               : ok             ? std::to_string(r.buffers) + " frames shown in " + r.seconds_text()
                    : "did not show 15 frames within " + std::to_string(int(kDeviceWatchdogS)) +
                          " s");
}

void check_encoders(const MediaSettings &s, std::vector<SelfTestRow> &rows)
{
    std::string chosen, passed_over;
    for (config::VideoEncoder e : h264_candidates(s.video_encoder)) {
        const std::string name(config::name(e));
        const EncoderTrial t = trial_encode(s, encoder_file(e), 10);
        SelfTestRow r = row("H.264 encoder " + name, t.ok, encoder_file(e), t.detail, false);
        if (!t.package.empty())
            r.result = "missing";
        if (t.ok && chosen.empty())
            chosen = name;
        else if (!t.ok && chosen.empty())
            passed_over += (passed_over.empty() ? "" : ", ") + name + " (" + r.result + ")";
        rows.push_back(std::move(r));
    }
    rows.push_back(row("H.264 for calls", !chosen.empty(), chosen.empty() ? "none" : chosen,
                       chosen.empty()        ? "no H.264 encoder works"
                       : passed_over.empty() ? "the first choice works"
                                             : "fell back from " + passed_over));
    for (const char *file : {"video-encoder-vp8", "audio-encoder-opus"}) {
        const EncoderTrial t = trial_encode(s, file, 10);
        SelfTestRow r = row(file[0] == 'v' ? "VP8 encoder" : "Opus encoder", t.ok, file, t.detail);
        if (!t.package.empty())
            r.result = "missing";
        rows.push_back(std::move(r));
    }
}

} // namespace

double tone_share(const std::vector<float> &x, double rate, double hz)
{
    if (x.empty())
        return 0;
    // Goertzel: the power of the DFT bin at `hz`, against the signal's whole energy.
    const double w = 2 * std::numbers::pi * hz / rate;
    const double coeff = 2 * std::cos(w);
    double s1 = 0, s2 = 0, energy = 0;
    for (float v : x) {
        const double s0 = v + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
        energy += static_cast<double>(v) * v;
    }
    if (energy <= 0)
        return 0;
    const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    return std::clamp(2 * power / (static_cast<double>(x.size()) * energy), 0.0, 1.0);
}

bool SelfTestReport::ok() const
{
    return std::all_of(rows.begin(), rows.end(),
                       [](const SelfTestRow &r) { return !r.required || r.ok(); });
}

std::string SelfTestReport::table() const
{
    std::size_t check_w = 5, result_w = 6, chose_w = 5;
    for (const SelfTestRow &r : rows) {
        check_w = std::max<std::size_t>(check_w, g_utf8_strlen(r.check.c_str(), -1));
        result_w = std::max(result_w, r.result.size());
        chose_w = std::max(chose_w, std::min<std::size_t>(r.chose.size(), 48));
    }
    auto pad = [](const std::string &text, std::size_t width) {
        const std::size_t len = g_utf8_strlen(text.c_str(), -1);
        return text + std::string(width > len ? width - len : 0, ' ');
    };
    std::string out = pad("check", check_w) + "  " + pad("result", result_w) + "  " +
                      pad("chose", chose_w) + "  details\n";
    for (const SelfTestRow &r : rows) {
        out += pad(r.check, check_w) + "  " + pad(r.result, result_w) + "  " +
               pad(r.chose, chose_w) + "  " + r.detail + (r.required ? "" : " (optional)") + "\n";
    }
    std::set<std::string> packages;
    for (const SelfTestRow &r : rows)
        if (!r.package.empty())
            packages.insert(r.package);
    for (const std::string &p : packages)
        out += "missing: install " + p + "\n";
    out += ok() ? "self-test: everything required works\n"
                : "self-test: FAILED (a required check did not pass)\n";
    return out;
}

void SelfTestReport::write(protocol::JsonWriter &w) const
{
    w.begin_object().member("ok", ok()).key("rows").begin_array();
    for (const SelfTestRow &r : rows)
        w.begin_object()
            .member("check", std::string_view(r.check))
            .member("result", std::string_view(r.result))
            .member("required", r.required)
            .member("chose", std::string_view(r.chose))
            .member("detail", std::string_view(r.detail))
            .member("package", std::string_view(r.package))
            .end_object();
    w.end_array().end_object();
}

SelfTestReport run_self_test(const MediaSettings &settings)
{
    MediaSettings s = settings;
    resolve_sources(s);
    SelfTestReport report;
    report.rows.push_back(check_elements());
    report.rows.push_back(check_camera(s));
    check_sound(s, report.rows);
    report.rows.push_back(check_screen(s));
    check_encoders(s, report.rows);
    return report;
}

} // namespace callbox::media
