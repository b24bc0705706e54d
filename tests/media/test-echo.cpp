// Echo cancellation in the simulated room, without a browser: a far-end talker into the
// playback mixer, the room (pipelines/audio-*-room) carrying it back into the microphone, and
// the level of what the device would send measured after the voice processor.
#include "media/audio-clock.hpp"
#include "media/capture-graph.hpp"
#include "media/gst-elements.hpp"
#include "media/pipeline-pairs.hpp"
#include "media/playback-mixer.hpp"

#include <glib/gstdio.h>
#include <gst/audio/audio.h>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <mutex>
#include <optional>

using namespace callbox;

namespace {

media::MediaSettings room_settings(config::EchoCancel echo)
{
    media::MediaSettings s;
    const char *dir = g_getenv("CALLBOX_PIPELINES_DIR");
    s.pipelines_dir = dir ? dir : "pipelines";
    s.video_source = config::VideoSource::Test;
    s.audio_source = config::AudioSource::Room;
    s.audio_sink = config::AudioSink::Room;
    s.width = 320;
    s.height = 240;
    s.encoders = config::Encoders::PerCall; // no encoder: only the raw microphone is measured
    s.echo_cancel = echo;
    s.noise_suppression = false; // the level measured is the canceller's work alone
    s.gain_control = false;
    s.room_talker = false; // far-end single talk
    s.room_delay_ms = 20;
    s.room_loss_db = 6;
    // Not the watchdog's test: a CI machine busy with fuzzers starved the room's microphone for
    // more than the default 800 ms once, the daemon swapped in its silent placeholder as it
    // should, and MuteStillMutesWithEchoCancellation then measured that silence (−180 dBFS).
    s.capture_stall_ms = 10000;
    return s;
}

bool wait_for(const std::function<bool()> &done, int seconds)
{
    const gint64 deadline = g_get_monotonic_time() + seconds * G_USEC_PER_SEC;
    while (!done() && g_get_monotonic_time() < deadline)
        g_main_context_iteration(nullptr, FALSE), g_usleep(1000);
    return done();
}

// The microphone's signal as the encoders get it (S16 mono after the processor and the mute):
// its energy over a window of samples that starts `skip` samples in.
struct MicMeter {
    std::mutex mutex;
    std::uint64_t samples = 0; // seen so far
    std::uint64_t skip = 0;
    std::uint64_t window = 0;
    double energy = 0;
    std::uint64_t measured = 0;
    std::int32_t peak = 0;

    void start(std::uint64_t skip_samples, std::uint64_t window_samples)
    {
        std::lock_guard lock(mutex);
        skip = samples + skip_samples;
        window = window_samples;
        energy = 0;
        measured = 0;
        peak = 0;
    }
    bool done()
    {
        std::lock_guard lock(mutex);
        return window != 0 && measured >= window;
    }
    double rms_db()
    {
        std::lock_guard lock(mutex);
        const double rms = std::sqrt(energy / static_cast<double>(measured)) / 32768.0;
        return 20 * std::log10(std::max(rms, 1e-9));
    }
    static GstPadProbeReturn on_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer data)
    {
        auto *self = static_cast<MicMeter *>(data);
        GstCaps *caps = gst_pad_get_current_caps(pad);
        GstAudioInfo ai;
        const bool ok = caps && gst_audio_info_from_caps(&ai, caps) &&
                        GST_AUDIO_INFO_FORMAT(&ai) == GST_AUDIO_FORMAT_S16 &&
                        GST_AUDIO_INFO_CHANNELS(&ai) == 1;
        if (caps)
            gst_caps_unref(caps);
        GstMapInfo map;
        if (!ok || !gst_buffer_map(GST_PAD_PROBE_INFO_BUFFER(info), &map, GST_MAP_READ))
            return GST_PAD_PROBE_OK;
        const auto *pcm = reinterpret_cast<const std::int16_t *>(map.data);
        const std::size_t n = map.size / 2;
        {
            std::lock_guard lock(self->mutex);
            for (std::size_t i = 0; i < n; ++i, ++self->samples) {
                if (self->window == 0 || self->samples < self->skip ||
                    self->measured >= self->window)
                    continue;
                self->energy += static_cast<double>(pcm[i]) * pcm[i];
                self->peak = std::max<std::int32_t>(self->peak, std::abs(pcm[i]));
                ++self->measured;
            }
        }
        gst_buffer_unmap(GST_PAD_PROBE_INFO_BUFFER(info), &map);
        return GST_PAD_PROBE_OK;
    }
};

// The device's media graph in the room, with a far-end talker (pink noise, like speech's
// spectrum) playing through the speaker.
struct Room {
    media::PipelinePtr pipeline = media::new_pipeline("echo-test");
    std::unique_ptr<media::CaptureGraph> capture;
    std::unique_ptr<media::PlaybackMixer> playback;
    GstElement *far_end = nullptr; // owned by the pipeline
    std::optional<media::PlaybackMixer::Input> far_end_pad;
    MicMeter mic;
    std::string error;

    explicit Room(const media::MediaSettings &s,
                  const char *far_end_description =
                      "audiotestsrc is-live=true wave=pink-noise volume=0.25 ! audioconvert ! "
                      "capsfilter caps=audio/x-raw,rate=48000,channels=2")
    {
        GstBin *bin = GST_BIN(pipeline.get());
        capture = media::CaptureGraph::create(bin, s, error);
        playback = capture ? media::PlaybackMixer::create(bin, s, error) : nullptr;
        if (!playback)
            return;
        capture->measure_echo_path(playback->echo_path());
        GError *err = nullptr;
        far_end = gst_parse_bin_from_description(far_end_description, TRUE, &err);
        if (!far_end) {
            error = err ? err->message : "no far end";
            g_clear_error(&err);
            return;
        }
        gst_bin_add(bin, far_end);
        far_end_pad.emplace(playback->request_audio_pad());
        gst_pad_link(media::static_pad(far_end, "src").get(), far_end_pad->pad());
        GstElement *tee = gst_bin_get_by_name(bin, "audio-source-tee");
        gst_pad_add_probe(media::static_pad(tee, "sink").get(), GST_PAD_PROBE_TYPE_BUFFER,
                          MicMeter::on_buffer, &mic, nullptr);
        gst_object_unref(tee);
    }
    ~Room()
    {
        gst_element_set_state(pipeline.get(), GST_STATE_NULL);
        far_end_pad.reset();
    }
    bool play()
    {
        return gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
    }
    // The microphone's level (dBFS) over 2 s, after `converge_s` seconds of audio.
    double measure(int converge_s)
    {
        mic.start(48000u * converge_s, 48000u * 2);
        EXPECT_TRUE(wait_for([&] { return mic.done(); }, 60)) << "the microphone stopped";
        return mic.rms_db();
    }
};

// The far end's synthesized microphone: the audio clock drawn into each buffer as it leaves.
GstPadProbeReturn draw_far_end_clock(GstPad *, GstPadProbeInfo *info, gpointer)
{
    GstBuffer *buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    GST_BUFFER_FLAG_UNSET(buffer, GST_BUFFER_FLAG_GAP); // silence no more
    GstMapInfo map;
    if (gst_buffer_map(buffer, &map, GST_MAP_WRITE)) {
        const std::size_t n = map.size / 2;
        media::draw_audio_clock(reinterpret_cast<std::int16_t *>(map.data), n, 48000,
                                g_get_real_time() - static_cast<std::int64_t>(n) * 1000000 / 48000);
        gst_buffer_unmap(buffer, &map);
    }
    return GST_PAD_PROBE_OK;
}

// Reads the audio clock from the microphone's signal as the encoders get it.
GstPadProbeReturn read_mic_clock(GstPad *, GstPadProbeInfo *info, gpointer data)
{
    auto *state = static_cast<std::pair<media::AudioClockReader, std::vector<double>> *>(data);
    GstMapInfo map;
    if (gst_buffer_map(GST_PAD_PROBE_INFO_BUFFER(info), &map, GST_MAP_READ)) {
        for (double ms : state->first.feed(reinterpret_cast<const std::int16_t *>(map.data),
                                           map.size / 2, 48000, g_get_real_time()))
            state->second.push_back(ms);
        gst_buffer_unmap(GST_PAD_PROBE_INFO_BUFFER(info), &map);
    }
    return GST_PAD_PROBE_OK;
}

// The canceller works: the echo at least 6 dB quieter with it. Measured here 15-17 dB in a
// 2 s window a second after the echo path was told (on a quiet machine, the in-process room;
// with Chromium as the far end the benchmark reads 50-60 dB). The real figure belongs in the
// benchmark (docs/benchmarks.md), not in a pass/fail line.
constexpr double kFunctionalErleDb = 6;

} // namespace

TEST(EchoCancel, SimulatedRoomEchoIsCancelled)
{
    // Each room stops before the next starts: the room is one channel, and a second room's
    // speaker in it is an echo the first's canceller has no reference for (until 2026-12-01 both
    // ran here, and the figure was 3-19 dB).
    double echo_db = 0;
    {
        Room off(room_settings(config::EchoCancel::Off));
        ASSERT_TRUE(off.playback) << off.error;
        EXPECT_FALSE(off.capture->echo_cancelling());
        ASSERT_TRUE(off.play());
        echo_db = off.measure(2);
    }
    // The room carries the far end back: well above silence without the canceller.
    EXPECT_GT(echo_db, -50) << "the room's echo";

    const media::MediaSettings on_settings = room_settings(config::EchoCancel::On);
    Room on(on_settings);
    ASSERT_TRUE(on.playback) << on.error;
    EXPECT_TRUE(on.capture->echo_cancelling());
    ASSERT_TRUE(on.play());
    // The echo path is measured first (the room's delay and its microphone's buffer, beyond the
    // speaker's latency) and told to the canceller, which then converges: in 1 s on a quiet
    // machine; on a loaded one the room's timing jitters and it takes longer: the best of five
    // 2 s windows after the first second.
    const auto &path = on.playback->echo_path();
    ASSERT_TRUE(wait_for([&] { return !std::isnan(path->measured_ms()); }, 30))
        << "the echo path was not measured";
    EXPECT_GE(path->measured_ms(), on_settings.room_delay_ms) << "the room's delay at least";
    EXPECT_LE(path->measured_ms(), on_settings.room_delay_ms + 90.0)
        << "the room holds at most 60 ms, its microphone reads 20 ms ahead in 10 ms periods";
    double cancelled_db = on.measure(1);
    for (int window = 1; window < 5 && echo_db - cancelled_db < kFunctionalErleDb; ++window)
        cancelled_db = std::min(cancelled_db, on.measure(0));
    std::printf("echo %.1f dBFS without, %.1f dBFS with cancellation: ERLE %.1f dB (echo path "
                "%.1f ms)\n",
                echo_db, cancelled_db, echo_db - cancelled_db, path->measured_ms());
    EXPECT_GE(echo_db - cancelled_db, kFunctionalErleDb);
}

// The room's speaker (interaudiosink) renders its render-delay before the play time, and that
// delay is 100 ms or 20 ms depending on which side of the room started first; the echo then
// reached the microphone before the play time the canceller reads from its probe, and nothing
// was cancelled (1–3 dB with Chromium as the far end). The playback mixer makes it render at
// the play time plus room_delay_ms.
TEST(EchoCancel, TheRoomsEchoComesRoomDelayAfterThePlayTime)
{
    const auto s = room_settings(config::EchoCancel::On);
    Room room(s);
    ASSERT_TRUE(room.playback) << room.error;
    ASSERT_TRUE(room.play());
    room.measure(0); // the speaker has rendered
    GstElement *speaker = nullptr;
    GstIterator *it = gst_bin_iterate_recurse(GST_BIN(room.pipeline.get()));
    GValue item = G_VALUE_INIT;
    while (!speaker && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
        auto *e = GST_ELEMENT(g_value_get_object(&item));
        GstElementFactory *f = gst_element_get_factory(e);
        if (f && g_str_equal(GST_OBJECT_NAME(f), "interaudiosink"))
            speaker = GST_ELEMENT(gst_object_ref(e));
        g_value_reset(&item);
    }
    g_value_unset(&item);
    gst_iterator_free(it);
    ASSERT_NE(speaker, nullptr) << "the room's speaker";
    guint64 render_delay = 0;
    gint64 offset = 0;
    g_object_get(speaker, "render-delay", &render_delay, "ts-offset", &offset, nullptr);
    gst_object_unref(speaker);
    EXPECT_EQ(offset, static_cast<gint64>(s.room_delay_ms) * GST_MSECOND +
                          static_cast<gint64>(render_delay));
}

TEST(EchoCancel, MuteStillMutesWithEchoCancellation)
{
    auto s = room_settings(config::EchoCancel::On);
    s.room_talker = true;
    s.gain_control = true;
    s.audio_muted = true;
    Room room(s);
    ASSERT_TRUE(room.playback) << room.error;
    ASSERT_TRUE(room.play());
    room.measure(1);
    EXPECT_EQ(room.mic.peak, 0) << "a muted device sends silence";
    room.capture->set_muted(false, false);
    EXPECT_GT(room.measure(1), -40) << "the talker is heard again once unmuted";
}

TEST(EchoCancel, SwitchesMidCallAndTheMicrophoneGoesOn)
{
    Room room(room_settings(config::EchoCancel::On));
    ASSERT_TRUE(room.playback) << room.error;
    ASSERT_TRUE(room.play());
    room.measure(0);
    for (auto mode : {config::EchoCancel::Off, config::EchoCancel::On}) {
        std::string error;
        ASSERT_TRUE(room.capture->set_voice_processing(room_settings(mode), error)) << error;
        EXPECT_EQ(room.capture->echo_cancelling(), mode == config::EchoCancel::On);
        room.measure(0); // audio flows again after the switch
    }
}

TEST(AudioClock, TheTestMicrophoneSendsItAndTheSpeakerInputReadsIt)
{
    auto s = room_settings(config::EchoCancel::Off);
    s.audio_source = config::AudioSource::Test;
    s.audio_sink = config::AudioSink::Fake;
    Room room(s, "audiotestsrc is-live=true wave=silence samplesperbuffer=480 ! "
                 "capsfilter caps=audio/x-raw,format=S16LE,rate=48000,channels=1 ! "
                 "audioconvert name=to-stereo ! capsfilter caps=audio/x-raw,rate=48000,channels=2");
    ASSERT_TRUE(room.playback) << room.error;
    EXPECT_TRUE(room.capture->draws_audio_clock());
    GstElement *to_stereo = gst_bin_get_by_name(GST_BIN(room.far_end), "to-stereo");
    gst_pad_add_probe(media::static_pad(to_stereo, "sink").get(), GST_PAD_PROBE_TYPE_BUFFER,
                      draw_far_end_clock, nullptr, nullptr);
    gst_object_unref(to_stereo);
    std::pair<media::AudioClockReader, std::vector<double>> mic;
    GstElement *tee = gst_bin_get_by_name(GST_BIN(room.pipeline.get()), "audio-source-tee");
    gst_pad_add_probe(media::static_pad(tee, "sink").get(), GST_PAD_PROBE_TYPE_BUFFER,
                      read_mic_clock, &mic, nullptr);
    gst_object_unref(tee);
    ASSERT_TRUE(room.play());
    // Three bursts each way (one a second); the first may be cut by the start.
    EXPECT_TRUE(wait_for([&] { return room.playback->audio_clock().samples >= 3; }, 30))
        << "bursts heard at the speaker input: " << room.playback->audio_clock().samples;
    gst_element_set_state(room.pipeline.get(), GST_STATE_NULL);
    ASSERT_GE(mic.second.size(), 2u) << "bursts sent by the test microphone";
    // Read where they are drawn, or a mixer's period later: under a second, not a wrap.
    for (double ms : mic.second)
        EXPECT_LT(ms, 100.0);
    EXPECT_LT(room.playback->audio_clock().median_ms, 500.0);
}

TEST(EchoCancel, BrokenPairingNamesBothFiles)
{
    auto s = room_settings(config::EchoCancel::On);
    EXPECT_FALSE(media::check_pairs(s)) << *media::check_pairs(s);
    s.audio_sink = config::AudioSink::Fake;
    auto why = media::check_pairs(s);
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("audio-source-room.pipeline"), std::string::npos) << *why;
    EXPECT_NE(why->find("audio-sink-room.pipeline"), std::string::npos) << *why;
    EXPECT_NE(why->find("audio_sink = fake"), std::string::npos) << *why;

    // A processor whose probe= names another probe: both files in the error.
    g_autofree char *dir = g_dir_make_tmp("callbox-pairs-XXXXXX", nullptr);
    ASSERT_TRUE(dir);
    const std::string src = room_settings(config::EchoCancel::On).pipelines_dir;
    for (const char *name :
         {"audio-voice-processing", "audio-echo-probe", "audio-source-room", "audio-sink-room"}) {
        g_autofree char *text = nullptr;
        const std::string from = src + "/" + name + ".pipeline";
        ASSERT_TRUE(g_file_get_contents(from.c_str(), &text, nullptr, nullptr)) << from;
        std::string body = text;
        if (std::string(name) == "audio-voice-processing")
            body.replace(body.find("probe=callbox-echo-probe"), 24, "probe=webrtcechoprobe0");
        const std::string to = std::string(dir) + "/" + name + ".pipeline";
        ASSERT_TRUE(g_file_set_contents(to.c_str(), body.c_str(), -1, nullptr));
    }
    s = room_settings(config::EchoCancel::On);
    s.pipelines_dir = dir;
    why = media::check_pairs(s);
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("audio-voice-processing.pipeline"), std::string::npos) << *why;
    EXPECT_NE(why->find("audio-echo-probe.pipeline"), std::string::npos) << *why;
    for (const char *name :
         {"audio-voice-processing", "audio-echo-probe", "audio-source-room", "audio-sink-room"})
        g_remove((std::string(dir) + "/" + name + ".pipeline").c_str());
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
