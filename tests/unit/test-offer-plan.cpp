// Unit tests for OfferPlan (codec and direction per m-line), the clock pattern and the test
// camera's seven-segment wall clock.
#include "media/clock-pattern.hpp"
#include "media/offer-plan.hpp"
#include "media/wall-clock-digits.hpp"
#include "media/whep.hpp"

#include <glib.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

using namespace callbox::media;

namespace {

// The shape of a Chromium offer: audio (Opus) then video (VP8, H.264 in three flavours).
std::string chromium_offer(const char *audio_direction, const char *video_direction,
                           bool with_h264 = true)
{
    std::string sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                      "a=group:BUNDLE 0 1\r\n"
                      "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n";
    sdp += std::string("a=") + audio_direction + "\r\n";
    sdp += "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
           "a=rtpmap:0 PCMU/8000\r\n"
           "m=video 9 UDP/TLS/RTP/SAVPF 96 102 106 108\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n";
    sdp += std::string("a=") + video_direction + "\r\n";
    sdp += "a=rtpmap:96 VP8/90000\r\n";
    if (with_h264)
        sdp +=
            "a=rtpmap:102 H264/90000\r\n"
            "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"
            "a=rtpmap:106 H264/90000\r\n"
            "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f\r\n"
            "a=rtpmap:108 H264/90000\r\n"
            "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n";
    return sdp;
}

} // namespace

TEST(OfferPlan, PicksConstrainedBaselineWithPacketizationMode1)
{
    std::string error;
    auto plan = plan_offer(chromium_offer("sendrecv", "sendrecv"), error);
    ASSERT_TRUE(error.empty()) << error;
    ASSERT_EQ(plan.lines.size(), 2u);
    EXPECT_EQ(plan.lines[0].kind, MediaKind::Audio);
    EXPECT_EQ(plan.lines[0].codec, Codec::Opus);
    EXPECT_EQ(plan.lines[0].payload_type, 111);
    EXPECT_EQ(plan.lines[0].mid, "0");
    EXPECT_EQ(plan.lines[1].kind, MediaKind::Video);
    EXPECT_EQ(plan.lines[1].codec, Codec::H264);
    EXPECT_EQ(plan.lines[1].payload_type, 108); // not 102 (baseline) nor 106 (mode 0)
    EXPECT_TRUE(plan.lines[1].device_sends);
    EXPECT_TRUE(plan.lines[1].device_receives);
    EXPECT_TRUE(plan.sends(Codec::H264));
    EXPECT_FALSE(plan.sends(Codec::VP8));
}

TEST(OfferPlan, FallsBackToVp8)
{
    std::string error;
    auto plan = plan_offer(chromium_offer("sendrecv", "sendrecv", false), error);
    EXPECT_EQ(plan.lines[1].codec, Codec::VP8);
    EXPECT_EQ(plan.lines[1].payload_type, 96);
}

TEST(OfferPlan, Directions)
{
    std::string error;
    // A viewer without a camera: it only receives, so the device only sends.
    auto viewer = plan_offer(chromium_offer("recvonly", "recvonly"), error);
    EXPECT_TRUE(viewer.lines[1].device_sends);
    EXPECT_FALSE(viewer.lines[1].device_receives);
    auto sender = plan_offer(chromium_offer("sendonly", "sendonly"), error);
    EXPECT_FALSE(sender.lines[1].device_sends);
    EXPECT_TRUE(sender.lines[1].device_receives);
    auto off = plan_offer(chromium_offer("inactive", "inactive"), error);
    EXPECT_FALSE(off.lines[0].device_sends);
    EXPECT_FALSE(off.lines[0].device_receives);
}

// Firefox with max-bundle: audio first, the video line on port 0 with a=bundle-only (carried on
// the audio line's transport, not rejected), VP8 and VP9 only, each with RTX.
TEST(OfferPlan, FirefoxBundleOnlyVideoIsUsed)
{
    const std::string sdp = "v=0\r\no=mozilla...THIS_IS_SDPARTA-99.0 1 0 IN IP4 0.0.0.0\r\ns=-\r\n"
                            "t=0 0\r\na=group:BUNDLE 0 1\r\n"
                            "m=audio 9 UDP/TLS/RTP/SAVPF 109 0\r\nc=IN IP4 0.0.0.0\r\n"
                            "a=sendrecv\r\na=mid:0\r\na=rtpmap:109 opus/48000/2\r\n"
                            "a=rtpmap:0 PCMU/8000\r\n"
                            "m=video 0 UDP/TLS/RTP/SAVPF 120 124 121 125\r\nc=IN IP4 0.0.0.0\r\n"
                            "a=bundle-only\r\na=sendrecv\r\na=mid:1\r\n"
                            "a=fmtp:120 max-fs=12288;max-fr=60\r\na=fmtp:124 apt=120\r\n"
                            "a=rtpmap:120 VP8/90000\r\na=rtpmap:124 rtx/90000\r\n"
                            "a=rtpmap:121 VP9/90000\r\na=rtpmap:125 rtx/90000\r\n";
    std::string error;
    auto plan = plan_offer(sdp, error);
    ASSERT_TRUE(error.empty()) << error;
    ASSERT_EQ(plan.lines.size(), 2u);
    EXPECT_EQ(plan.lines[0].codec, Codec::Opus);
    EXPECT_EQ(plan.lines[1].codec, Codec::VP8);
    EXPECT_EQ(plan.lines[1].payload_type, 120);
    EXPECT_TRUE(plan.lines[1].device_sends);
    EXPECT_TRUE(plan.lines[1].device_receives);
    // Port 0 without bundle-only is a rejected line: nothing flows on it.
    std::string rejected = sdp;
    rejected.replace(rejected.find("a=bundle-only\r\n"), 15, "");
    auto off = plan_offer(rejected, error);
    EXPECT_FALSE(off.lines[1].device_sends);
    EXPECT_FALSE(off.lines[1].device_receives);
}

TEST(OfferPlan, Refusals)
{
    std::string error;
    plan_offer("not sdp at all", error);
    EXPECT_FALSE(error.empty());
    error.clear();
    plan_offer("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
               "m=video 9 UDP/TLS/RTP/SAVPF 98\r\na=mid:0\r\na=rtpmap:98 VP9/90000\r\n",
               error);
    EXPECT_NE(error.find("H.264"), std::string::npos) << error;
}

TEST(OfferPlan, OneLineOfEachKindAtMost)
{
    const std::string video = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
                              "a=sendrecv\r\na=rtpmap:96 VP8/90000\r\n";
    const std::string data = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                             "c=IN IP4 0.0.0.0\r\na=sctp-port:5000\r\n";
    std::string error;
    // What browsers offer: audio, video, and a data channel. The data line is refused, not
    // the offer.
    auto usual = plan_offer(chromium_offer("sendrecv", "sendrecv") + data, error);
    EXPECT_TRUE(error.empty()) << error;
    EXPECT_FALSE(usual.over_limit);
    ASSERT_EQ(usual.lines.size(), 3u);
    EXPECT_EQ(usual.lines[2].codec, Codec::None);

    // A second video line: over the limit, not merely unusable, and nothing is planned.
    auto two_video = plan_offer(chromium_offer("sendrecv", "sendrecv") + video, error);
    EXPECT_TRUE(two_video.over_limit);
    EXPECT_TRUE(two_video.lines.empty());
    EXPECT_NE(error.find("more than one audio or video m-line"), std::string::npos) << error;

    error.clear();
    std::string many = chromium_offer("sendrecv", "sendrecv");
    for (int i = 0; i < 200; ++i)
        many += data;
    auto flood = plan_offer(many, error);
    EXPECT_TRUE(flood.over_limit);
    EXPECT_TRUE(flood.lines.empty());
    EXPECT_NE(error.find("more m-lines"), std::string::npos) << error;

    // An unusable offer within the limit is not over it: the device says media-error.
    error.clear();
    auto vp9 = plan_offer("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                          "m=video 9 UDP/TLS/RTP/SAVPF 98\r\na=rtpmap:98 VP9/90000\r\n",
                          error);
    EXPECT_FALSE(vp9.over_limit);
    EXPECT_FALSE(error.empty());
}

TEST(RemoteCandidates, OnlyAddressesOfTheLan)
{
    auto allowed = [](const std::string &address, std::vector<std::string> listed = {}) {
        std::string why;
        const bool ok = remote_candidate_allowed("candidate:842163049 1 udp 1677729535 " + address +
                                                     " 54321 typ host generation 0",
                                                 listed, why);
        EXPECT_EQ(ok, why.empty()) << address;
        return ok;
    };
    EXPECT_TRUE(allowed("192.168.1.23"));
    EXPECT_TRUE(allowed("10.0.0.7"));
    EXPECT_TRUE(allowed("2001:db8::5"));
    EXPECT_TRUE(allowed("fd12:3456::1")); // a unique local address is the LAN's
    for (const char *refused :
         {"127.0.0.1", "127.8.9.10", "::1", "169.254.3.4", "fe80::1", "224.0.0.251", "239.1.2.3",
          "ff02::fb", "0.0.0.0", "::", "4e1b0c6b-5a7e-4a1e-9c0b-1f2e3d4c5b6a.local", "router.lan"})
        EXPECT_FALSE(allowed(refused)) << refused;
    // ice_addresses lets the very address listed through (the tests call over 127.0.0.1).
    EXPECT_TRUE(allowed("127.0.0.1", {"127.0.0.1"}));
    EXPECT_FALSE(allowed("127.0.0.2", {"127.0.0.1"}));
    EXPECT_TRUE(allowed("::1", {"0:0:0:0:0:0:0:1"}));
    std::string why;
    EXPECT_FALSE(remote_candidate_allowed("candidate:1 1 udp", {}, why));
    EXPECT_EQ(why, "not a candidate");
    EXPECT_FALSE(remote_candidate_allowed("", {}, why));
}

// Found by fuzz-offer-plan (corpus-offer-plan/crash-empty-offer): an empty "sdp" in a signal
// reached gst_sdp_message_parse_buffer(), whose g_return_val_if_fail (size != 0) logged a
// GLib critical (an abort with G_DEBUG=fatal-criticals). It is refused as not SDP, quietly.
TEST(OfferPlan, EmptyOfferIsRefusedWithoutACritical)
{
    static int criticals = 0;
    criticals = 0;
    GLogFunc previous = g_log_set_default_handler(
        [](const char *, GLogLevelFlags level, const char *, gpointer) {
            if (level & G_LOG_LEVEL_CRITICAL)
                ++criticals;
        },
        nullptr);
    std::string error;
    OfferPlan plan = plan_offer("", error);
    g_log_set_default_handler(previous, nullptr);
    EXPECT_EQ(criticals, 0);
    EXPECT_TRUE(plan.lines.empty());
    EXPECT_EQ(error, "the offer is not an SDP description with media");
}

// Found by fuzz-offer-plan (corpus-offer-plan/crash-payload-type-not-listed): formats were read
// with atoi(), so an m-line format "111TP/AVP" counted as payload type 111 and the device would
// have answered with a payload type the browser never offered; "300" or "-1" gave payload types
// RTP cannot carry (the payloader's "pt" is 0-127). Only a payload type of 0-127 in plain digits
// counts, in the m-line and in a=rtpmap/a=fmtp alike; "0111" (corpus-offer-plan/
// crash-payload-type-leading-zero) is not "111".
TEST(OfferPlan, PayloadTypesAreStrict)
{
    auto audio_line = [](const char *formats, const char *rtpmap_pt) {
        return std::string("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n") +
               "m=audio 9 UDP/TLS/RTP/SAVPF " + formats + "\r\na=mid:0\r\na=rtpmap:" + rtpmap_pt +
               " opus/48000/2\r\n";
    };
    std::string error;
    EXPECT_EQ(plan_offer(audio_line("111", "111"), error).lines[0].payload_type, 111);
    for (const auto &[formats, rtpmap_pt] :
         std::vector<std::pair<const char *, const char *>>{{"111TP/AVP", "111"},
                                                            {"111", "111x"},
                                                            {"300", "300"},
                                                            {"-1", "-1"},
                                                            {"+111", "+111"},
                                                            {"0111", "111"},
                                                            {"111", "0111"},
                                                            {"4294967407", "4294967407"}}) {
        error.clear();
        OfferPlan plan = plan_offer(audio_line(formats, rtpmap_pt), error);
        ASSERT_EQ(plan.lines.size(), 1u) << formats;
        EXPECT_EQ(plan.lines[0].codec, Codec::None) << formats << " / " << rtpmap_pt;
        EXPECT_EQ(plan.lines[0].payload_type, -1) << formats << " / " << rtpmap_pt;
        EXPECT_FALSE(error.empty()) << formats << " / " << rtpmap_pt;
    }
}

// A w×h I420 frame of one luma and two chroma values, its planes in vectors the test can read.
struct TestFrame {
    int w, h;
    std::vector<std::uint8_t> y, u, v;
    TestFrame(int width, int height, std::uint8_t luma, std::uint8_t cb, std::uint8_t cr)
        : w(width), h(height), y(w * h, luma), u(w * h / 4, cb), v(w * h / 4, cr)
    {
    }
    I420View view() { return {y.data(), u.data(), v.data(), w, w / 2, w / 2, w, h}; }
};

TEST(ClockPattern, RoundTrip)
{
    const int w = 1280, h = 720;
    TestFrame f(w, h, 90, 60, 200);
    I420View frame = f.view();
    const ClockStamp stamp{1764130000123ull, 4242};
    draw_clock_pattern(frame, stamp);
    auto back = read_clock_pattern(frame);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->time_ms, stamp.time_ms);
    EXPECT_EQ(back->counter, stamp.counter);
    // Block 0 white, block 1 black, B = 16; chroma under the strip is neutral.
    EXPECT_EQ(f.y[0], 235);
    EXPECT_EQ(f.y[16], 16);
    EXPECT_EQ(f.y[15 * w + 15], 235);
    EXPECT_EQ(f.y[16 * w], 90); // below the strip: untouched
    EXPECT_EQ(f.u[0], 128);
    EXPECT_EQ(f.v[74 * 16 / 2 - 1], 128);
    EXPECT_EQ(f.u[74 * 16 / 2], 60);
    // A damaged strip fails its check byte.
    const std::uint8_t flipped = f.y[30 * 16] == 235 ? 16 : 235;
    for (int row = 0; row < 16; ++row)
        for (int x = 30 * 16; x < 31 * 16; ++x)
            f.y[row * w + x] = flipped;
    EXPECT_FALSE(read_clock_pattern(frame));
}

TEST(ClockPattern, NarrowFramesUntouched)
{
    const int w = 320, h = 240;
    TestFrame f(w, h, 90, 60, 60);
    I420View frame = f.view();
    draw_clock_pattern(frame, {1, 1});
    EXPECT_EQ(f.y[0], 90);
    EXPECT_FALSE(read_clock_pattern(frame));
}

TEST(WallClock, EveryDigitReadsBackOverAPicture)
{
    const int w = 1280, h = 720;
    for (const char *text : {"09:41:27", "12:34:56", "23:58:00", "01:17:48"}) {
        // A bright, coloured picture under the clock: the box must still make the digits
        // stand out.
        TestFrame f(w, h, 0, 60, 200);
        for (int i = 0; i < w * h; ++i)
            f.y[i] = static_cast<std::uint8_t>(16 + (i * 7 % 220));
        I420View frame = f.view();
        draw_wall_clock(frame, text);
        EXPECT_EQ(read_wall_clock(frame, "00:00:00"), std::optional<std::string>(text));
    }
}

TEST(WallClock, StaysInTheMiddleAndLeavesTheClockPatternAlone)
{
    const int w = 1280, h = 720;
    TestFrame f(w, h, 90, 60, 200);
    I420View frame = f.view();
    const ClockStamp stamp{1764130000123ull, 7};
    draw_clock_pattern(frame, stamp);
    draw_wall_clock(frame, "88:88:88");
    ASSERT_TRUE(read_clock_pattern(frame));
    EXPECT_EQ(read_clock_pattern(frame)->time_ms, stamp.time_ms);
    EXPECT_EQ(f.y[(h / 2) * w + 10], 90);         // left of the box: untouched
    EXPECT_LT(f.y[(h / 2 - 40) * w + w / 2], 90); // inside the box, between digits: darker
    EXPECT_EQ(f.u[(h / 4) * (w / 2) + 5], 60);
    // Under a lit segment the colour is neutral.
    bool lit_found = false;
    for (int x = 0; x < w && !lit_found; ++x)
        if (f.y[(h / 2) * w + x] == 235) {
            lit_found = true;
            EXPECT_EQ(f.u[(h / 4) * (w / 2) + x / 2], 128);
        }
    EXPECT_TRUE(lit_found);
}

TEST(WallClock, SmallFramesUntouchedAndMasksAreSevenSegment)
{
    const int w = 160, h = 120;
    TestFrame f(w, h, 90, 60, 60);
    I420View frame = f.view();
    draw_wall_clock(frame, "12:00:00");
    EXPECT_TRUE(std::all_of(f.y.begin(), f.y.end(), [](std::uint8_t p) { return p == 90; }));
    EXPECT_FALSE(read_wall_clock(frame, "00:00:00"));
    EXPECT_EQ(seven_segment_mask('8'), 0x7f);
    EXPECT_EQ(seven_segment_mask('1'), 0x06);
    EXPECT_EQ(seven_segment_mask('x'), 0);
    const std::string now = local_time_text();
    ASSERT_EQ(now.size(), 8u);
    EXPECT_EQ(now[2], ':');
    EXPECT_EQ(now[5], ':');
}

TEST(Whep, AnswerGetsTheDevicesCandidatesInItsFirstSection)
{
    const std::string answer =
        "v=0\r\ns=-\r\na=group:BUNDLE 0 1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
        "a=mid:0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n";
    const std::string out = callbox::media::answer_with_candidates(
        answer, {"candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host"});
    EXPECT_EQ(out, "v=0\r\ns=-\r\na=group:BUNDLE 0 1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                   "a=mid:0\r\na=candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host\r\n"
                   "a=end-of-candidates\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n");
    // One section: at the end.
    EXPECT_EQ(callbox::media::answer_with_candidates("v=0\r\nm=video 9 X 96\r\na=mid:0", {}),
              "v=0\r\nm=video 9 X 96\r\na=mid:0\r\na=end-of-candidates\r\n");
}

TEST(Whep, TrickleFragmentsGiveCandidatesWithTheirMid)
{
    std::string error;
    auto c = callbox::media::read_sdpfrag(
        "a=ice-ufrag:abcd\r\na=ice-pwd:secretsecretsecretsecret\r\nm=audio 9 UDP/TLS/RTP/SAVPF "
        "0\r\n"
        "a=mid:0\r\na=candidate:1 1 udp 2122260223 192.0.2.7 40000 typ host\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 0\na=mid:1\na=candidate:2 1 udp 1 192.0.2.8 40001 typ host\n"
        "a=end-of-candidates\r\n",
        error);
    ASSERT_TRUE(c) << error;
    ASSERT_EQ(c->size(), 2u);
    EXPECT_EQ((*c)[0].candidate, "candidate:1 1 udp 2122260223 192.0.2.7 40000 typ host");
    EXPECT_EQ((*c)[0].mid, "0");
    EXPECT_EQ((*c)[1].mid, "1");
    EXPECT_FALSE((*c)[1].mline_index);
    EXPECT_TRUE(callbox::media::read_sdpfrag("", error)->empty());
    EXPECT_FALSE(callbox::media::read_sdpfrag("not an sdp fragment\r\n", error));
    EXPECT_FALSE(error.empty());
}
