// Media tests without a browser: the capture graph into fakesink, and a GStreamer webrtcbin
// "browser" calling the daemon's MediaEngine back to back through its own answer path.
#include "media/capture-graph.hpp"
#include "media/gst-elements.hpp"
#include "media/idle-screen.hpp"
#include "media/idle-text.hpp"
#include "media/media-engine.hpp"
#include "media/running-time.hpp"
#include "media/send-branch.hpp"
#include "protocol/json-reader.hpp"
#include "protocol/json-writer.hpp"
#include "rooms/room-registry.hpp"

#define GST_USE_UNSTABLE_API
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <vector>

using namespace callbox;
using protocol::JsonValue;

namespace {

media::MediaSettings test_settings()
{
    media::MediaSettings s;
    const char *dir = g_getenv("CALLBOX_PIPELINES_DIR");
    s.pipelines_dir = dir ? dir : "pipelines";
    s.video_source = config::VideoSource::Test;
    s.audio_source = config::AudioSource::Test;
    s.width = 640;
    s.height = 480;
    s.ice_addresses = {"127.0.0.1"};
    return s;
}

// Runs the main loop until `done` holds or `seconds` pass; true when it held.
// The watchdogs' factor: CALLBOX_TEST_WATCHDOG_SCALE (tests/arm64/media.sh runs this test under
// qemu-user, many times slower than native), 1 by default.
gint64 watchdog_scale()
{
    const char *scale = g_getenv("CALLBOX_TEST_WATCHDOG_SCALE");
    const gint64 n = scale ? g_ascii_strtoll(scale, nullptr, 10) : 1;
    return n > 0 ? n : 1;
}

bool wait_for(const std::function<bool()> &done, int seconds)
{
    const gint64 deadline = g_get_monotonic_time() + seconds * watchdog_scale() * G_USEC_PER_SEC;
    while (!done() && g_get_monotonic_time() < deadline)
        g_main_context_iteration(nullptr, FALSE), g_usleep(1000);
    return done();
}

GstPadProbeReturn count(GstPad *, GstPadProbeInfo *, gpointer counter)
{
    ++*static_cast<std::uint64_t *>(counter);
    return GST_PAD_PROBE_OK;
}

protocol::SignalData offer(std::string sdp)
{
    return protocol::SessionDescription{protocol::SessionDescription::Type::Offer, std::move(sdp)};
}

struct NoLog : rooms::ChatLog {
    bool append(protocol::ChatRecord &, std::string &) override { return true; }
    std::vector<protocol::ChatRecord> latest(std::string_view, std::size_t) override { return {}; }
};

// A webrtcbin playing the browser: offers, trickles, counts what the device sends.
class FakeBrowser : public rooms::Outbox
{
public:
    explicit FakeBrowser(const char *description)
    {
        GError *error = nullptr;
        pipeline = gst_parse_launch_full(description, nullptr, GST_PARSE_FLAG_PLACE_IN_BIN, &error);
        EXPECT_TRUE(pipeline) << (error ? error->message : "");
        // A description of the webrtcbin alone gives the webrtcbin itself (a bin of its own).
        webrtc = g_strcmp0(GST_OBJECT_NAME(pipeline), "browser") == 0
                     ? GST_ELEMENT(gst_object_ref(pipeline))
                     : gst_bin_get_by_name(GST_BIN(pipeline), "browser");
        // Loopback only, and UPnP off as in the device's own agents: with it on, libnice
        // 0.1.21 starts GUPnP-IGD's thread, whose objects LeakSanitizer reports at exit.
        media::set_up_ice_agent(webrtc, {"127.0.0.1"});
        g_signal_connect(
            webrtc, "on-ice-candidate",
            G_CALLBACK(+[](GstElement *, guint mline, char *c, FakeBrowser *self) {
                std::string candidate = c;
                g_idle_add_once(
                    [](gpointer p) {
                        auto *job = static_cast<std::function<void()> *>(p);
                        (*job)();
                        delete job;
                    },
                    new std::function<void()>(
                        [alive = std::weak_ptr<int>(self->alive), self, mline, candidate] {
                            if (alive.expired())
                                return; // the test that made it is over
                            if (self->engine)
                                self->engine->signal(
                                    1, protocol::IceCandidate{candidate, std::nullopt, mline});
                        }));
            }),
            this);
        g_signal_connect(webrtc, "pad-added",
                         G_CALLBACK(+[](GstElement *, GstPad *pad, FakeBrowser *self) {
                             if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
                                 return;
                             GstElement *sink = gst_element_factory_make("fakesink", nullptr);
                             gst_bin_add(GST_BIN(self->pipeline), sink);
                             gst_element_sync_state_with_parent(sink);
                             GstPad *sinkpad = gst_element_get_static_pad(sink, "sink");
                             gst_pad_link(pad, sinkpad);
                             gst_pad_add_probe(sinkpad, GST_PAD_PROBE_TYPE_BUFFER, count,
                                               &self->packets_from_device, nullptr);
                             gst_object_unref(sinkpad);
                         }),
                         this);
    }

    ~FakeBrowser() override
    {
        gst_element_set_state(pipeline, GST_STATE_NULL);
        gst_object_unref(webrtc);
        gst_object_unref(pipeline);
    }

    // Starts the pipeline and sends the offer to the device once webrtcbin made it.
    void call()
    {
        gst_element_set_state(pipeline, GST_STATE_PLAYING);
        GstPromise *promise = gst_promise_new_with_change_func(
            [](GstPromise *p, gpointer data) {
                auto *self = static_cast<FakeBrowser *>(data);
                GstWebRTCSessionDescription *offer = nullptr;
                gst_structure_get(gst_promise_get_reply(p), "offer",
                                  GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
                g_signal_emit_by_name(self->webrtc, "set-local-description", offer, nullptr);
                char *text = gst_sdp_message_as_text(offer->sdp);
                self->offer_sdp = text;
                g_free(text);
                gst_webrtc_session_description_free(offer);
            },
            this, nullptr);
        g_signal_emit_by_name(webrtc, "create-offer", nullptr, promise);
        gst_promise_unref(promise);
        ASSERT_TRUE(wait_for([this] { return !offer_sdp.empty(); }, 10));
        engine->signal(1, offer(offer_sdp));
    }

    // What the device sends to peer 1.
    void send(rooms::PeerId to, const std::string &json) override
    {
        if (to != 1)
            return;
        std::string error;
        auto m = protocol::read_json(json, error);
        ASSERT_TRUE(m) << error;
        const std::string &type = m->get("type")->string;
        messages.push_back(type);
        if (type == "call-state")
            states.push_back(m->get("state")->string);
        if (type == "error")
            errors.push_back(m->get("code")->string + ": " + m->get("message")->string);
        if (type != "signal")
            return;
        const JsonValue &data = *m->get("data");
        if (const JsonValue *sdp = data.get("sdp")) {
            GstSDPMessage *msg = nullptr;
            gst_sdp_message_new_from_text(sdp->get("sdp")->string.c_str(), &msg);
            answer_sdp = sdp->get("sdp")->string;
            auto *desc = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, msg);
            g_signal_emit_by_name(webrtc, "set-remote-description", desc, nullptr);
            gst_webrtc_session_description_free(desc);
        } else if (const JsonValue *ice = data.get("ice")) {
            g_signal_emit_by_name(webrtc, "add-ice-candidate",
                                  static_cast<guint>(ice->get("sdpMLineIndex")->integer),
                                  ice->get("candidate")->string.c_str());
        }
    }

    GstElement *pipeline = nullptr;
    GstElement *webrtc = nullptr;
    media::MediaEngine *engine = nullptr;
    std::shared_ptr<int> alive = std::make_shared<int>(0); // candidates queued for later check it
    std::string offer_sdp;
    std::string answer_sdp;
    std::uint64_t packets_from_device = 0;
    std::vector<std::string> messages, states, errors;
};

// Audio first, then video: the order Chromium offers in.
constexpr const char *kSendRecv =
    "webrtcbin name=browser bundle-policy=max-bundle "
    "audiotestsrc is-live=true ! opusenc ! rtpopuspay pt=111 "
    "! application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! browser. "
    "videotestsrc is-live=true ! video/x-raw,width=640,height=480,framerate=30/1 "
    "! vp8enc deadline=1 ! rtpvp8pay pt=96 "
    "! application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 ! browser.";

class MediaEngineTest : public ::testing::Test
{
protected:
    NoLog log;
    void run_call(FakeBrowser &browser)
    {
        rooms::RoomRegistry registry(browser, log, {}, [] { return 0; });
        media::MediaEngine engine(test_settings(), browser, registry);
        std::string error;
        ASSERT_TRUE(engine.init(error)) << error;
        call_and_hang_up(engine, browser);
    }
    // One call from `browser` to a running engine, until frames flow both ways, then bye.
    void call_and_hang_up(media::MediaEngine &engine, FakeBrowser &browser)
    {
        browser.engine = &engine;
        browser.call();
        ASSERT_TRUE(
            wait_for([&] { return !browser.answer_sdp.empty() || !browser.errors.empty(); }, 20));
        ASSERT_TRUE(browser.errors.empty()) << browser.errors.at(0);
        ASSERT_TRUE(wait_for(
            [&] { return !browser.states.empty() && browser.states.back() == "connected"; }, 10));
        EXPECT_EQ(browser.states.front(), "connecting");
        EXPECT_EQ(engine.call_count(), 1u);
        EXPECT_TRUE(engine.capturing());
        // The device decodes what the browser sends, into its playback grid.
        ASSERT_TRUE(wait_for([&] { return engine.calls().at(0).video_frames_in > 10; }, 20))
            << "frames from the browser: " << engine.calls().at(0).video_frames_in;
        engine.signal(1, protocol::Bye{});
        EXPECT_EQ(engine.call_count(), 0u);
        EXPECT_FALSE(engine.capturing()); // no call, no camera
        EXPECT_EQ(browser.states.back(), "ended");
        browser.engine = nullptr;
    }
};

} // namespace

TEST(CaptureGraph, TestSourcesIntoFakesink)
{
    media::PipelinePtr owner = media::new_pipeline("capture-test");
    GstBin *pipeline = GST_BIN(owner.get());
    std::string error;
    auto graph = media::CaptureGraph::create(pipeline, test_settings(), error);
    ASSERT_TRUE(graph) << error;
    EXPECT_EQ(graph->video_source(), config::VideoSource::Test);
    EXPECT_TRUE(graph->stamps_clock());
    std::uint64_t encoded = 0;
    GstElement *sink = gst_element_factory_make("fakesink", nullptr);
    gst_bin_add(pipeline, sink);
    GstElement *tee = graph->tee_for(media::Codec::H264, error);
    ASSERT_TRUE(tee) << error;
    ASSERT_TRUE(gst_element_link(tee, sink));
    gst_pad_add_probe(media::static_pad(sink, "sink").get(), GST_PAD_PROBE_TYPE_BUFFER, count,
                      &encoded, nullptr);
    ASSERT_NE(gst_element_set_state(owner.get(), GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    EXPECT_TRUE(wait_for([&] { return encoded > 15; }, 20)) << "encoded frames: " << encoded;
    EXPECT_GT(graph->frames_captured(), 15u);
    EXPECT_EQ(graph->encoder_count(), 2); // H.264 and Opus, once

    // VP8 is made only when a caller needs it, while capture runs.
    std::uint64_t vp8 = 0;
    GstElement *tee8 = graph->tee_for(media::Codec::VP8, error);
    ASSERT_TRUE(tee8) << error;
    GstElement *sink8 = gst_element_factory_make("fakesink", nullptr);
    gst_bin_add(pipeline, sink8);
    gst_element_sync_state_with_parent(sink8);
    ASSERT_TRUE(gst_element_link(tee8, sink8));
    gst_pad_add_probe(media::static_pad(sink8, "sink").get(), GST_PAD_PROBE_TYPE_BUFFER, count,
                      &vp8, nullptr);
    EXPECT_TRUE(wait_for([&] { return vp8 > 15; }, 20)) << "VP8 frames: " << vp8;
    EXPECT_EQ(graph->tee_for(media::Codec::VP8, error), tee8);
    EXPECT_EQ(graph->encoder_count(), 3);
    gst_element_set_state(owner.get(), GST_STATE_NULL);
    graph.reset();
}

// Counts the keyframes (buffers without the delta flag) that pass a pad.
GstPadProbeReturn count_keyframe(GstPad *, GstPadProbeInfo *info, gpointer counter)
{
    if (!GST_BUFFER_FLAG_IS_SET(GST_PAD_PROBE_INFO_BUFFER(info), GST_BUFFER_FLAG_DELTA_UNIT))
        ++*static_cast<std::atomic<int> *>(counter);
    return GST_PAD_PROBE_OK;
}

TEST(CaptureGraph, KeyframeRequestsAreRateLimitedPerEncoder)
{
    media::PipelinePtr owner = media::new_pipeline("keyframe-test");
    std::string error;
    auto graph = media::CaptureGraph::create(GST_BIN(owner.get()), test_settings(), error);
    ASSERT_TRUE(graph) << error;
    GstElement *tee = graph->tee_for(media::Codec::H264, error);
    ASSERT_TRUE(tee) << error;
    GstElement *sink = gst_element_factory_make("fakesink", nullptr);
    gst_bin_add(GST_BIN(owner.get()), sink);
    ASSERT_TRUE(gst_element_link(tee, sink));
    std::atomic<int> keyframes{0};
    media::PadPtr sink_pad = media::static_pad(sink, "sink");
    gst_pad_add_probe(sink_pad.get(), GST_PAD_PROBE_TYPE_BUFFER, count_keyframe, &keyframes,
                      nullptr);
    ASSERT_NE(gst_element_set_state(owner.get(), GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    ASSERT_TRUE(wait_for([&] { return keyframes >= 1; }, 20)) << "no first keyframe";

    // A caller losing packets asks ten times in a row (PLI after PLI): one keyframe request
    // reaches the encoder. A reminder of a layer switch in the same interval is dropped too.
    const int before = keyframes;
    for (int i = 0; i < 10; ++i)
        gst_pad_push_event(sink_pad.get(), gst_video_event_new_upstream_force_key_unit(
                                               GST_CLOCK_TIME_NONE, TRUE, 0));
    graph->force_keyframe(tee, media::CaptureGraph::KeyframeFor::Reminder);
    EXPECT_EQ(graph->keyframes_forced(), 1u);
    EXPECT_EQ(graph->keyframe_requests_dropped(), 10u);
    EXPECT_TRUE(wait_for([&] { return keyframes > before; }, 10)) << "the first request's";

    // A caller that connects now gets a keyframe of its own at once; the interval starts again,
    // so its browser's own request right after it is not served twice.
    const int before_new = keyframes;
    graph->force_keyframe(tee, media::CaptureGraph::KeyframeFor::NewReceiver);
    EXPECT_EQ(graph->keyframes_forced(), 2u);
    EXPECT_TRUE(wait_for([&] { return keyframes > before_new; }, 10)) << "the new receiver's";
    gst_pad_push_event(sink_pad.get(),
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
    EXPECT_EQ(graph->keyframes_forced(), 2u);
    EXPECT_EQ(graph->keyframe_requests_dropped(), 11u);

    // Once the interval has passed, the next request goes through again.
    g_usleep(static_cast<gulong>(media::CaptureGraph::kKeyframeIntervalUs + 100 * 1000));
    graph->force_keyframe(tee, media::CaptureGraph::KeyframeFor::Reminder);
    EXPECT_EQ(graph->keyframes_forced(), 3u);
    gst_element_set_state(owner.get(), GST_STATE_NULL);
}

TEST(CaptureGraph, MissingPipelineFileNamesIt)
{
    media::PipelinePtr pipeline = media::new_pipeline("capture-test");
    auto settings = test_settings();
    settings.pipelines_dir = "/nonexistent/pipelines";
    std::string error;
    EXPECT_FALSE(media::CaptureGraph::create(GST_BIN(pipeline.get()), settings, error));
    EXPECT_NE(error.find("/nonexistent/pipelines/video-source-test.pipeline"), std::string::npos)
        << error;
}

TEST_F(MediaEngineTest, SendReceiveCallBackToBack)
{
    FakeBrowser browser(kSendRecv);
    run_call(browser);
    // GStreamer 1.22's webrtcbin pairs only the first m-line of another webrtcbin's offer with
    // the device's stream, so device → "browser" media is proven with Chromium's offers
    // (tests/e2e/calls-device.mjs), where every line pairs; here: negotiation through the
    // daemon's answer path, call states, browser → device decoding, teardown.
    const auto first_line = browser.answer_sdp.substr(0, browser.answer_sdp.find("m=video"));
    EXPECT_NE(first_line.find("a=sendrecv"), std::string::npos) << browser.answer_sdp;
}

GstPadProbeReturn count_segment(GstPad *, GstPadProbeInfo *info, gpointer counter)
{
    if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_SEGMENT)
        ++*static_cast<std::atomic<int> *>(counter);
    return GST_PAD_PROBE_OK;
}

// The bundle's rtpfunnel in webrtcbin 1.22 sends its input's SEGMENT downstream again at every
// switch between its inputs (audio and video): with x264enc's segment (1000 hours in) and
// opusenc's (at 0) a different one each time. The device restamps each encoder's output in
// running time, and its calls' funnels pass on only the events that differ. (GStreamer's
// webrtcbin, as the "browser" here, pairs only one m-line of the device's answer, so the funnel
// is built here as webrtcbin builds it.)
int segments_past_funnel(bool device_fixes)
{
    GError *err = nullptr;
    media::PipelinePtr owner(gst_parse_launch(
        "rtpfunnel name=funnel ! fakesink name=out "
        "audiotestsrc is-live=true samplesperbuffer=960 ! opusenc ! identity name=a "
        "! rtpopuspay ! funnel. "
        "videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=30/1 "
        "! x264enc tune=zerolatency speed-preset=ultrafast bframes=0 ! identity name=v "
        "! rtph264pay ! funnel.",
        &err));
    EXPECT_TRUE(owner) << (err ? err->message : "");
    if (!owner)
        return -1;
    auto element = [&](const char *name) {
        return media::ElementPtr(gst_bin_get_by_name(GST_BIN(owner.get()), name));
    };
    media::ElementPtr funnel = element("funnel"), out = element("out");
    media::PadPtr first_pts_pad = media::static_pad(element("v").get(), "src");
    if (device_fixes) {
        for (const char *encoded : {"a", "v"})
            media::stamp_in_running_time(media::static_pad(element(encoded).get(), "sink").get());
        media::send_changed_events_only(funnel.get());
    }
    std::atomic<int> segments{0};
    std::uint64_t packets = 0;
    std::atomic<GstClockTime> first_pts{GST_CLOCK_TIME_NONE};
    media::PadPtr in = media::static_pad(out.get(), "sink");
    gst_pad_add_probe(in.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, count_segment, &segments,
                      nullptr);
    gst_pad_add_probe(in.get(), GST_PAD_PROBE_TYPE_BUFFER, count, &packets, nullptr);
    gst_pad_add_probe(
        first_pts_pad.get(), GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad *, GstPadProbeInfo *info, gpointer pts) {
            GstClockTime none = GST_CLOCK_TIME_NONE;
            static_cast<std::atomic<GstClockTime> *>(pts)->compare_exchange_strong(
                none, GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info)));
            return GST_PAD_PROBE_OK;
        },
        &first_pts, nullptr);
    gst_element_set_state(owner.get(), GST_STATE_PLAYING);
    EXPECT_TRUE(wait_for([&] { return packets > 150; }, 20)) << packets << " packets";
    gst_element_set_state(owner.get(), GST_STATE_NULL);
    // Restamped, the first video frame's time is its running time: within the first second.
    EXPECT_EQ(first_pts.load() < GST_SECOND, device_fixes) << first_pts.load();
    return segments.load();
}

TEST(SendBranch, BundledStreamsSendNoRepeatedSegments)
{
    // 150 packets of audio (50/s) and video interleaved: a switch, so a SEGMENT, every few.
    EXPECT_GT(segments_past_funnel(false), 20);
    EXPECT_LE(segments_past_funnel(true), 2);
}

// A time before the segment's start (a DTS before the PTS, as an encoder with B-frames makes) is
// restamped to the new segment's start, 0, not to no time at all.
TEST(SendBranch, RestampsATimeBeforeTheSegmentToZero)
{
    media::PadPtr src = callbox::sink(gst_pad_new("src", GST_PAD_SRC));
    media::PadPtr in = callbox::sink(gst_pad_new("sink", GST_PAD_SINK));
    static std::vector<std::pair<GstClockTime, GstClockTime>> seen;
    seen.clear();
    gst_pad_set_chain_function(in.get(), [](GstPad *, GstObject *, GstBuffer *buffer) {
        seen.emplace_back(GST_BUFFER_PTS(buffer), GST_BUFFER_DTS(buffer));
        gst_buffer_unref(buffer);
        return GST_FLOW_OK;
    });
    ASSERT_EQ(gst_pad_link(src.get(), in.get()), GST_PAD_LINK_OK);
    gst_pad_set_active(in.get(), TRUE);
    gst_pad_set_active(src.get(), TRUE);
    media::stamp_in_running_time(in.get());
    gst_pad_push_event(src.get(), gst_event_new_stream_start("restamp"));
    GstSegment segment;
    gst_segment_init(&segment, GST_FORMAT_TIME);
    segment.start = segment.time = 10 * GST_SECOND;
    gst_pad_push_event(src.get(), gst_event_new_segment(&segment));
    GstBuffer *buffer = gst_buffer_new();
    GST_BUFFER_PTS(buffer) = 10 * GST_SECOND + 40 * GST_MSECOND;
    GST_BUFFER_DTS(buffer) = 10 * GST_SECOND - 20 * GST_MSECOND;
    ASSERT_EQ(gst_pad_push(src.get(), buffer), GST_FLOW_OK);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].first, 40 * GST_MSECOND);
    EXPECT_EQ(seen[0].second, 0u);
    gst_pad_set_active(src.get(), FALSE);
    gst_pad_set_active(in.get(), FALSE);
}

// Threads of this process, from /proc/self/status.
int thread_count()
{
    g_autofree char *status = nullptr;
    if (!g_file_get_contents("/proc/self/status", &status, nullptr, nullptr))
        return -1;
    const char *line = std::strstr(status, "\nThreads:");
    return line ? std::atoi(line + 9) : -1;
}

// The engine's outbox for calls from one browser after another: to the current one.
struct Relay : rooms::Outbox {
    FakeBrowser *to = nullptr;
    void send(rooms::PeerId peer, const std::string &json) override
    {
        if (to) // none between browsers: what the engine still says then is dropped
            to->send(peer, json);
    }
};

// Calls one after another on one engine: each call's threads (webrtcbin, libnice, its
// branches) end with it, so the thread count comes back after every hang-up.
TEST_F(MediaEngineTest, RepeatedCallsGiveTheirThreadsBack)
{
    if (thread_count() < 0)
        GTEST_SKIP() << "no /proc/self/status";
    Relay relay;
    rooms::RoomRegistry registry(relay, log, {}, [] { return 0; });
    media::MediaEngine engine(test_settings(), relay, registry);
    std::string error;
    ASSERT_TRUE(engine.init(error)) << error;
    int baseline = -1;
    for (int i = 1; i <= 5; ++i) {
        FakeBrowser browser(kSendRecv);
        relay.to = &browser;
        call_and_hang_up(engine, browser);
        relay.to = nullptr; // the browser goes with this iteration, before the engine
        if (HasFatalFailure())
            return;
        if (i == 1) {
            // What stays for good after the first call: GStreamer's clock thread, pool threads.
            wait_for([] { return false; }, 1);
            baseline = thread_count();
            continue;
        }
        // GLib keeps up to two idle pool threads for later tasks.
        EXPECT_TRUE(wait_for([&] { return thread_count() <= baseline + 2; }, 30))
            << "after call " << i << ": " << thread_count() << " threads, " << baseline
            << " after the first call";
    }
}

// Counts GStreamer's criticals ("Trying to dispose element …, but it is in PLAYING") while alive,
// or those of another log domain.
class CriticalCounter
{
public:
    explicit CriticalCounter(const char *domain = "GStreamer")
        : domain_(domain),
          id_(g_log_set_handler(
              domain, static_cast<GLogLevelFlags>(G_LOG_LEVEL_CRITICAL),
              [](const char *, GLogLevelFlags, const char *message, gpointer self) {
                  auto *c = static_cast<CriticalCounter *>(self);
                  ++c->count;
                  c->last = message;
              },
              this))
    {
    }
    ~CriticalCounter() { g_log_remove_handler(domain_, id_); }
    int count = 0;
    std::string last;

private:
    const char *domain_;
    guint id_;
};

// The test sources with a camera that stalls again and again: a frame every 500 ms against
// capture_stall_ms of 150, so it counts as failed soon after each frame, and is tried again (and
// delivers) 50–100 ms after its placeholder went in.
media::MediaSettings stalling_camera()
{
    media::MediaSettings s = test_settings();
    s.framerate = 2;
    s.capture_stall_ms = 150;
    s.capture_retry_ms = 50;
    s.capture_retry_max_ms = 100;
    return s;
}

// The camera stalls again and again (stalling_camera()), and each failure and each try swaps a
// source bin, while another thread keeps setting the pipeline to PLAYING, as GStreamer's thread
// pool does when a call's elements finish prerolling: such a state change walks the children it
// listed before, and must not start a source that is being taken out. None is freed playing, and
// none leaves its streaming thread behind.
TEST(CaptureGraph, SourcesSwappedDuringStateChangesStayStopped)
{
    const int before = thread_count();
    if (before < 0)
        GTEST_SKIP() << "no /proc/self/status";
    CriticalCounter gst_criticals;
    CriticalCounter gobject_criticals("GLib-GObject");
    media::PipelinePtr owner = media::new_pipeline("stall-test");
    GstBin *pipeline = GST_BIN(owner.get());
    const media::MediaSettings settings = stalling_camera();
    std::string error;
    auto graph = media::CaptureGraph::create(pipeline, settings, error);
    ASSERT_TRUE(graph) << error;
    GstElement *sink = gst_element_factory_make("fakesink", nullptr);
    gst_bin_add(pipeline, sink);
    ASSERT_TRUE(gst_element_link(graph->h264_tee(), sink));
    ASSERT_NE(gst_element_set_state(owner.get(), GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    std::atomic<bool> stop{false};
    std::thread state_changes([&] {
        while (!stop) {
            gst_element_set_state(owner.get(), GST_STATE_PLAYING);
            g_usleep(500); // lets the main thread have the pipeline's state lock in between
        }
    });
    EXPECT_TRUE(wait_for([&] { return graph->health(true).failures >= 12; }, 60))
        << "camera failures: " << graph->health(true).failures;
    stop = true;
    state_changes.join();
    gst_element_set_state(owner.get(), GST_STATE_NULL);
    graph.reset();
    owner.reset();
    // What may stay: GStreamer's clock thread (made on first use) and up to two idle threads
    // GLib's pool keeps; a source freed playing would keep its streaming thread.
    EXPECT_TRUE(wait_for([&] { return thread_count() <= before + 3; }, 30))
        << thread_count() << " threads, " << before << " before the pipeline";
    EXPECT_EQ(gst_criticals.count, 0) << gst_criticals.last;
    EXPECT_EQ(gobject_criticals.count, 0) << gobject_criticals.last;
}

// Hang-ups right after the answer, while the pipeline that the first offer started may still
// be on its way to PLAYING: every element of the call stops (no element is freed running).
TEST_F(MediaEngineTest, HangUpRightAfterTheAnswerStopsTheCall)
{
    CriticalCounter criticals;
    Relay relay;
    rooms::RoomRegistry registry(relay, log, {}, [] { return 0; });
    media::MediaEngine engine(test_settings(), relay, registry);
    std::string error;
    ASSERT_TRUE(engine.init(error)) << error;
    for (int i = 1; i <= 8; ++i) {
        FakeBrowser browser(kSendRecv);
        relay.to = &browser;
        browser.engine = &engine;
        browser.call();
        ASSERT_TRUE(wait_for([&] { return !browser.answer_sdp.empty(); }, 20)) << "call " << i;
        engine.signal(1, protocol::Bye{});
        EXPECT_EQ(engine.call_count(), 0u);
        EXPECT_FALSE(engine.capturing());
        browser.engine = nullptr;
    }
    EXPECT_EQ(criticals.count, 0) << criticals.last;
}

// The camera stalls again and again (stalling_camera()) while calls start and end: each failure
// swaps the placeholder in and each try swaps the camera back, often while a call's elements make
// the pipeline change state on GStreamer's thread pool. A source taken out must stay stopped: none
// is freed playing, no streaming thread is left.
TEST_F(MediaEngineTest, CameraStallsDuringCallsLeaveNoThreadBehind)
{
    if (thread_count() < 0)
        GTEST_SKIP() << "no /proc/self/status";
    CriticalCounter gst_criticals;
    CriticalCounter gobject_criticals("GLib-GObject");
    Relay relay;
    rooms::RoomRegistry registry(relay, log, {}, [] { return 0; });
    const media::MediaSettings settings = stalling_camera();
    media::MediaEngine engine(settings, relay, registry);
    std::string error;
    ASSERT_TRUE(engine.init(error)) << error;
    int baseline = -1;
    for (int i = 1; i <= 20; ++i) {
        FakeBrowser browser(kSendRecv);
        relay.to = &browser;
        browser.engine = &engine;
        browser.call();
        ASSERT_TRUE(wait_for([&] { return !browser.answer_sdp.empty(); }, 20)) << "call " << i;
        ASSERT_TRUE(wait_for([&] { return engine.capture_failures(true) >= 3; }, 30))
            << "call " << i << ": camera failures " << engine.capture_failures(true);
        engine.signal(1, protocol::Bye{});
        EXPECT_FALSE(engine.capturing());
        browser.engine = nullptr;
        relay.to = nullptr;
        if (i == 1) {
            // What stays after the first call: GStreamer's clock thread, pool threads.
            wait_for([] { return false; }, 1);
            baseline = thread_count();
        }
    }
    // GLib keeps up to two idle pool threads for later tasks.
    EXPECT_TRUE(wait_for([&] { return thread_count() <= baseline + 2; }, 30))
        << thread_count() << " threads, " << baseline << " after the first call";
    EXPECT_EQ(gst_criticals.count, 0) << gst_criticals.last;
    EXPECT_EQ(gobject_criticals.count, 0) << gobject_criticals.last;
}

TEST_F(MediaEngineTest, RefusedOffersBuildNothing)
{
    FakeBrowser browser("webrtcbin name=browser");
    rooms::RoomRegistry registry(browser, log, {}, [] { return 0; });
    media::MediaEngine engine(test_settings(), browser, registry);
    std::string error;
    ASSERT_TRUE(engine.init(error)) << error;
    // Unusable: media-error.
    engine.signal(1, offer("v=0\r\n"));
    engine.signal(
        1, protocol::SessionDescription{protocol::SessionDescription::Type::Answer, "v=0\r\n"});
    // Over the limits (two video lines; more than max_sdp_bytes): bad-message.
    const std::string head = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
    const std::string video = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n";
    engine.signal(1, offer(head + video + video));
    engine.signal(1, offer(head + "a=x-padding:" + std::string(20000, 'p') + "\r\n" + video));
    ASSERT_EQ(browser.errors.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i)
        EXPECT_EQ(browser.errors[i].rfind(i < 2 ? "media-error" : "bad-message", 0), 0u)
            << browser.errors[i];
    EXPECT_NE(browser.errors[3].find("at most 16384"), std::string::npos) << browser.errors[3];
    EXPECT_EQ(engine.call_count(), 0u);
    EXPECT_FALSE(engine.capturing()); // no pipeline, no element, no streaming thread
}

TEST_F(MediaEngineTest, DeviceListMatchesGstDeviceMonitor)
{
    FakeBrowser browser("webrtcbin name=browser");
    rooms::RoomRegistry registry(browser, log, {}, [] { return 0; });
    media::MediaEngine engine(test_settings(), browser, registry);
    std::string error;
    ASSERT_TRUE(engine.init(error)) << error;
    protocol::JsonWriter w;
    engine.write_devices(w);
    auto listed = protocol::read_json(w.take(), error);
    ASSERT_TRUE(listed) << error;

    // What GStreamer itself sees (none on a machine without hardware) …
    GstDeviceMonitor *monitor = gst_device_monitor_new();
    gst_device_monitor_add_filter(monitor, "Video/Source", nullptr);
    gst_device_monitor_add_filter(monitor, "Audio/Source", nullptr);
    gst_device_monitor_start(monitor);
    GList *devices = gst_device_monitor_get_devices(monitor);
    for (const char *kind : {"cameras", "microphones"}) {
        const auto &items = listed->get(kind)->items;
        // … plus the built-in test source, current here.
        ASSERT_FALSE(items.empty());
        EXPECT_EQ(items[0].get("id")->string, "test");
        EXPECT_TRUE(items[0].get("current")->boolean);
        std::size_t expected = 1;
        for (GList *l = devices; l; l = l->next) {
            auto *device = GST_DEVICE(l->data);
            if (!gst_device_has_classes(device, kind[0] == 'c' ? "Video/Source" : "Audio/Source"))
                continue;
            ++expected;
            char *name = gst_device_get_display_name(device);
            EXPECT_TRUE(
                std::any_of(items.begin(), items.end(),
                            [name](const JsonValue &v) { return v.get("name")->string == name; }))
                << name << " is not listed";
            g_free(name);
        }
        EXPECT_EQ(items.size(), expected) << kind;
    }
    g_list_free_full(devices, gst_object_unref);
    gst_device_monitor_stop(monitor);
    gst_object_unref(monitor);

    std::string why;
    EXPECT_FALSE(engine.select_device("camera", "no such camera", why));
    EXPECT_NE(why.find("no camera called"), std::string::npos) << why;
    EXPECT_TRUE(engine.select_device("camera", "test", why)) << why;
}

// What callers see while the camera is gone: the placeholder's text is drawn (its bin has no
// input, so textoverlay draws its text property, not an empty text stream).
GstPadProbeReturn count_white_pixels(GstPad *pad, GstPadProbeInfo *info, gpointer out)
{
    g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
    GstVideoInfo vinfo;
    GstVideoFrame frame;
    if (!caps || !gst_video_info_from_caps(&vinfo, caps) ||
        !gst_video_frame_map(&frame, &vinfo, GST_PAD_PROBE_INFO_BUFFER(info), GST_MAP_READ))
        return GST_PAD_PROBE_OK;
    const media::I420View view = media::i420_view(frame);
    int bright = 0;
    for (int y = 0; y < view.height; ++y)
        for (int x = 0; x < view.width; ++x)
            bright += view.y[y * view.y_stride + x] > 200;
    gst_video_frame_unmap(&frame);
    static_cast<std::atomic<int> *>(out)->store(bright);
    return GST_PAD_PROBE_OK;
}

TEST(CaptureGraph, CameraPlaceholderSaysSo)
{
    const media::MediaSettings s = test_settings();
    std::string error;
    media::ElementPtr picture = media::load_source_file(s.pipelines_dir, "video-source-unavailable",
                                                        media::pipeline_variables(s), error);
    ASSERT_TRUE(picture) << error;
    EXPECT_EQ(picture->numsinkpads, 0);
    media::PipelinePtr owner = media::new_pipeline("placeholder-test");
    GstElement *sink = gst_element_factory_make("fakesink", nullptr);
    gst_bin_add_many(GST_BIN(owner.get()), picture.get(), sink, nullptr);
    ASSERT_TRUE(gst_element_link(picture.get(), sink));
    std::atomic<int> bright{-1};
    gst_pad_add_probe(media::static_pad(sink, "sink").get(), GST_PAD_PROBE_TYPE_BUFFER,
                      count_white_pixels, &bright, nullptr);
    ASSERT_NE(gst_element_set_state(owner.get(), GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    EXPECT_TRUE(wait_for([&] { return bright.load() >= 0; }, 20));
    gst_element_set_state(owner.get(), GST_STATE_NULL);
    // "Camera unavailable" in white on a dark red: a few thousand white pixels at 640×480.
    EXPECT_GT(bright.load(), 500);
}

TEST(IdleScreen, ShowsTheJoinLinkAsAQrCode)
{
    std::string error;
    auto screen = media::IdleScreen::start(test_settings(), "Living room",
                                           "https://192.0.2.10:8443/", std::string(95, 'A'), error);
    ASSERT_TRUE(screen) << error;
    EXPECT_TRUE(wait_for([&] { return screen->frames() >= 2; }, 10))
        << "idle screen frames: " << screen->frames();
    // The text comes from the helper process (CALLBOX_TEXT_RENDERER: the built callboxd).
    EXPECT_TRUE(wait_for([&] { return screen->text_ready(); }, 20));
    EXPECT_TRUE(screen->has_text());
}

TEST(IdleScreen, TextIsCroppedToItsBoxAndDrawnWhite)
{
    const int w = 64, h = 32;
    std::vector<std::uint8_t> gray(w * h, 16); // black, in video range
    for (int y = 7; y < 11; ++y)
        for (int x = 11; x < 15; ++x)
            gray[y * w + x] = 235;
    gray[12 * w + 20] = 126; // half covered
    const media::TextMask mask = media::crop_text_mask(gray.data(), w, h);
    EXPECT_EQ(mask.x, 10); // even corners
    EXPECT_EQ(mask.y, 6);
    EXPECT_EQ(mask.width, 12);
    EXPECT_EQ(mask.height, 8);
    EXPECT_EQ(mask.coverage[(8 - 6) * mask.width + (12 - 10)], 255);
    EXPECT_EQ(mask.coverage[0], 0);
    EXPECT_EQ(mask.coverage[(12 - 6) * mask.width + (20 - 10)], 128);
    EXPECT_EQ(media::crop_text_mask(std::vector<std::uint8_t>(w * h, 16).data(), w, h).width, 0);

    std::vector<std::uint8_t> y(w * h, 50), u(w * h / 4, 60), v(w * h / 4, 60);
    const media::I420View frame{y.data(), u.data(), v.data(), w, w / 2, w / 2, w, h};
    media::draw_text_mask(frame, mask);
    EXPECT_EQ(y[8 * w + 12], 235);               // full coverage: white
    EXPECT_EQ(y[12 * w + 20], 50 + 185 / 2 + 1); // half: halfway (rounded)
    EXPECT_EQ(y[0], 50);                         // outside the text: untouched
    EXPECT_EQ(y[6 * w + 10], 50);                // inside the box, not covered
    EXPECT_EQ(u[4 * (w / 2) + 6], 128);          // the 2×2 block under full text: neutral
    EXPECT_EQ(v[4 * (w / 2) + 6], 128);
    EXPECT_EQ(u[0], 60);
}

TEST(IdleScreen, QrCodeModulesAreDrawn)
{
    const int w = 640, h = 480, module = 4;
    std::vector<std::uint8_t> y(w * h, 50), u(w * h / 4, 60), v(w * h / 4, 60);
    media::I420View frame{y.data(), u.data(), v.data(), w, w / 2, w / 2, w, h};
    const int n = media::draw_qr_code(frame, "https://callbox.local:8443/", 100, 100, module);
    ASSERT_GE(n, 21); // version 1 or larger
    auto at = [&](int mx, int my) {
        return y[(100 + (my + 4) * module + 1) * w + 100 + (mx + 4) * module + 1];
    };
    // Finder patterns: dark corners with a light ring inside, at three corners.
    for (auto [cx, cy] : {std::pair{0, 0}, {n - 7, 0}, {0, n - 7}}) {
        EXPECT_EQ(at(cx, cy), 16);
        EXPECT_EQ(at(cx + 1, cy + 1), 235);
        EXPECT_EQ(at(cx + 3, cy + 3), 16);
    }
    EXPECT_EQ(at(-1, -1), 235);                                            // the quiet zone
    EXPECT_EQ(y[0], 50);                                                   // outside: untouched
    EXPECT_EQ(media::draw_qr_code(frame, "x", w - 10, h - 10, module), 0); // does not fit
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
