// Unit tests for config loading: defaults, every key, and FILE:LINE errors.
#include "config/config.hpp"

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>

using namespace callbox::config;

namespace {

class ConfigFile : public ::testing::Test
{
protected:
    std::string dir;
    void SetUp() override
    {
        const char *base = g_getenv("CALLBOX_TEST_TMP");
        std::string tmpl = std::string(base ? base : g_get_tmp_dir()) + "/config-XXXXXX";
        dir = g_mkdtemp(tmpl.data()) ? tmpl : "";
        ASSERT_FALSE(dir.empty());
    }
    void TearDown() override
    {
        g_remove((dir + "/callbox.conf").c_str());
        g_rmdir(dir.c_str());
    }
    std::string write(const std::string &text)
    {
        std::string path = dir + "/callbox.conf";
        EXPECT_TRUE(g_file_set_contents(path.c_str(), text.c_str(), -1, nullptr));
        return path;
    }
    std::string error_of(const std::string &text)
    {
        Config c = defaults();
        auto err = load(write(text), c);
        return err ? err->to_string() : "";
    }
};

} // namespace

TEST_F(ConfigFile, DefaultsAreSensible)
{
    Config c = defaults();
    EXPECT_EQ(c.port, 8443u);
    EXPECT_TRUE(c.tls);
    EXPECT_EQ(c.max_browsers, 8u);
    EXPECT_EQ(c.rate_limit, 20u);
    EXPECT_EQ(c.rate_window, 5u);
    EXPECT_EQ(c.history_length, 50u);
    EXPECT_EQ(c.ping_interval, 15u);
    EXPECT_EQ(c.batch_delay_ms, 20u);
    EXPECT_EQ(c.max_connections, 256u);
    EXPECT_EQ(c.max_connections_per_address, 32u);
    EXPECT_EQ(c.max_connections_per_ipv6_prefix, 128u);
    EXPECT_EQ(c.http_idle_timeout, 30u);
    EXPECT_EQ(c.send_queue_kib, 256u);
    EXPECT_EQ(c.send_timeout, 30u);
    EXPECT_FALSE(c.web_dir.empty());
    EXPECT_FALSE(c.data_dir.empty());
    EXPECT_FALSE(validate(c));
}

TEST_F(ConfigFile, ReadsEveryKey)
{
    Config c = defaults();
    auto err = load(write("# callbox\n"
                          "[server]\nlisten = 127.0.0.1\nport=8080\ntls=false\n"
                          "web_dir=/srv/web\nping_interval=5\nbatch_delay_ms=0\n"
                          "max_connections=64\nmax_connections_per_address=8\n"
                          "max_connections_per_ipv6_prefix=16\nhttp_idle_timeout=10\n"
                          "send_queue_kib=1024\nsend_timeout=5\n"
                          "[storage]\ndata_dir=/tmp/x\n"
                          "[device]\nname = Living room\n"
                          "[rooms]\nmax_browsers=4\nrate_limit=0\nrate_window=2\n"
                          "history_length=10\naccess_code=1234\n"),
                    c);
    ASSERT_FALSE(err) << err->to_string();
    EXPECT_EQ(c.listen, "127.0.0.1");
    EXPECT_EQ(c.port, 8080u);
    EXPECT_FALSE(c.tls);
    EXPECT_EQ(c.web_dir, "/srv/web");
    EXPECT_EQ(c.ping_interval, 5u);
    EXPECT_EQ(c.batch_delay_ms, 0u);
    EXPECT_EQ(c.max_connections, 64u);
    EXPECT_EQ(c.max_connections_per_address, 8u);
    EXPECT_EQ(c.max_connections_per_ipv6_prefix, 16u);
    EXPECT_EQ(c.http_idle_timeout, 10u);
    EXPECT_EQ(c.send_queue_kib, 1024u);
    EXPECT_EQ(c.send_timeout, 5u);
    EXPECT_EQ(c.data_dir, "/tmp/x");
    EXPECT_EQ(c.device_name, "Living room");
    EXPECT_EQ(c.max_browsers, 4u);
    EXPECT_EQ(c.rate_limit, 0u);
    EXPECT_EQ(c.rate_window, 2u);
    EXPECT_EQ(c.history_length, 10u);
    EXPECT_EQ(c.access_code, "1234");
}

TEST_F(ConfigFile, ErrorsNameTheLine)
{
    std::string path = dir + "/callbox.conf";
    EXPECT_EQ(error_of("[server]\nport=80\n\nprot=81\n"),
              path + ":4: unknown key 'prot' in [server]");
    EXPECT_EQ(error_of("# x\n[srever]\n"), path + ":2: unknown group [srever]");
    EXPECT_EQ(error_of("[server]\nport=http\n"),
              path + ":2: port: expected a whole number from 0 to 65535, got 'http'");
    EXPECT_EQ(error_of("[server]\nport=70000\n"),
              path + ":2: port: expected a whole number from 0 to 65535, got '70000'");
    EXPECT_EQ(error_of("[server]\ntls=maybe\n"),
              path + ":2: tls: expected true or false, got 'maybe'");
    EXPECT_EQ(error_of("port=1\n"), path + ":1: 'port' comes before any [group]");
    EXPECT_EQ(error_of("[rooms]\nmax_browsers=0\n"),
              path + ":2: max_browsers: expected a whole number from 1 to 10000, got '0'");
    EXPECT_EQ(error_of("[rooms]\nmax_browsers=2\nmax_browsers=3\n"),
              path + ":3: 'max_browsers' is set twice in [rooms]");
    EXPECT_EQ(error_of("[server]\nsend_queue_kib=8\n"),
              path + ":2: send_queue_kib: expected a whole number from 16 to 1048576, got '8'");
    EXPECT_EQ(error_of("[server]\nmax_connections=0\n"),
              path + ":2: max_connections: expected a whole number from 1 to 100000, got '0'");
    EXPECT_EQ(error_of("[device]\njust words\n"),
              path + ":2: expected 'key = value', a [group] or a # comment");
    EXPECT_EQ(error_of("[device\n"), path + ":1: a group header looks like [name]");
    EXPECT_EQ(error_of("[device]\nname=\n"), path + ":2: name: the value must not be empty");
    EXPECT_NE(error_of("[server]\ntls_certificate=/a.pem\n").find("set together"),
              std::string::npos);
}

TEST_F(ConfigFile, MissingFile)
{
    Config c = defaults();
    auto err = load(dir + "/nope.conf", c);
    ASSERT_TRUE(err);
    EXPECT_EQ(err->line, 0);
    EXPECT_NE(err->to_string().find("nope.conf"), std::string::npos);
}

TEST_F(ConfigFile, ChoicesAreEnums)
{
    Config c = defaults();
    auto err = load(write("[media]\nvideo_source=v4l2\naudio_sink=alsa\nencoders=per-call\n"
                          "clock_pattern=off\nvideo_encoder=v4l2h264\n"),
                    c);
    ASSERT_FALSE(err) << err->to_string();
    EXPECT_EQ(c.media.video_source, VideoSource::V4l2);
    EXPECT_EQ(c.media.audio_sink, AudioSink::Alsa);
    EXPECT_EQ(c.media.encoders, Encoders::PerCall);
    EXPECT_EQ(c.media.clock_pattern, ClockPattern::Off);
    EXPECT_EQ(c.media.video_encoder, VideoEncoder::V4l2H264);
    EXPECT_EQ(name(VideoSink::Kms), "kms");
    EXPECT_EQ(parse_choice<AudioSource>("alsa"), AudioSource::Alsa);
    EXPECT_FALSE(parse_choice<AudioSource>("pulse"));
    EXPECT_EQ(error_of("[media]\nvideo_sink=hdmi\n"),
              dir + "/callbox.conf:2: video_sink: expected one of fake, kms, auto, got 'hdmi'");
}

TEST_F(ConfigFile, BoardKeys)
{
    Config c = defaults();
    EXPECT_EQ(c.media.encoder_threads, 0u);
    EXPECT_EQ(c.tls_renew_days, 30u);
    auto err = load(write("[server]\ntls_renew_days=60\n[media]\nvideo_source=libcamera\n"
                          "encoder_threads=4\n"),
                    c);
    ASSERT_FALSE(err) << err->to_string();
    EXPECT_EQ(c.media.video_source, VideoSource::Libcamera);
    EXPECT_EQ(c.media.encoder_threads, 4u);
    EXPECT_EQ(c.tls_renew_days, 60u);
    EXPECT_EQ(
        error_of("[server]\ntls_renew_days=0\n"),
        dir + "/callbox.conf:2: tls_renew_days: expected a whole number from 1 to 365, got '0'");
    EXPECT_EQ(
        error_of("[media]\nencoder_threads=99\n"),
        dir + "/callbox.conf:2: encoder_threads: expected a whole number from 0 to 16, got '99'");
    EXPECT_EQ(error_of("[media]\nvideo_source=usb\n"),
              dir + "/callbox.conf:2: video_source: expected one of auto, test, v4l2, libcamera, "
                    "got 'usb'");
}

TEST_F(ConfigFile, EchoCancellationAndTheSimulatedRoom)
{
    Config c = defaults();
    EXPECT_EQ(c.media.echo_cancel, EchoCancel::Auto);
    EXPECT_TRUE(c.media.noise_suppression);
    EXPECT_TRUE(c.media.gain_control);
    EXPECT_EQ(c.media.room_delay_ms, 60u);
    EXPECT_EQ(c.media.room_loss_db, 10u);
    EXPECT_EQ(c.media.audio_clock, ClockPattern::Auto);
    auto err = load(write("[media]\necho_cancel=off\nnoise_suppression=false\ngain_control=false\n"
                          "audio_source=room\naudio_sink=room\nroom_delay_ms=200\n"
                          "room_loss_db=6\nroom_talker=false\naudio_clock=on\n"),
                    c);
    ASSERT_FALSE(err) << err->to_string();
    EXPECT_EQ(c.media.echo_cancel, EchoCancel::Off);
    EXPECT_FALSE(c.media.noise_suppression);
    EXPECT_FALSE(c.media.gain_control);
    EXPECT_EQ(c.media.audio_source, AudioSource::Room);
    EXPECT_EQ(c.media.audio_sink, AudioSink::Room);
    EXPECT_EQ(c.media.room_delay_ms, 200u);
    EXPECT_EQ(c.media.room_loss_db, 6u);
    EXPECT_FALSE(c.media.room_talker);
    EXPECT_EQ(c.media.audio_clock, ClockPattern::On);
    EXPECT_FALSE(echo_cancel_active(c.media));
    EXPECT_FALSE(voice_processing(c.media));
    EXPECT_EQ(error_of("[media]\necho_cancel=maybe\n"),
              dir + "/callbox.conf:2: echo_cancel: expected one of auto, on, off, got 'maybe'");
    EXPECT_NE(error_of("[media]\nroom_delay_ms=10\n").find("room_delay_ms"), std::string::npos);
    EXPECT_NE(error_of("[media]\nroom_delay_ms=201\n").find("room_delay_ms"), std::string::npos);
    EXPECT_NE(error_of("[media]\nroom_loss_db=5\n").find("room_loss_db"), std::string::npos);
    EXPECT_NE(error_of("[media]\nroom_loss_db=21\n").find("room_loss_db"), std::string::npos);

    // auto: on with a speaker and a microphone, off on the test tone or without a speaker.
    MediaSettings s;
    s.audio_source = AudioSource::Alsa;
    s.audio_sink = AudioSink::Alsa;
    EXPECT_TRUE(echo_cancel_active(s));
    s.audio_sink = AudioSink::Fake;
    EXPECT_FALSE(echo_cancel_active(s));
    EXPECT_TRUE(voice_processing(s)); // noise suppression and gain control on a real microphone
    s.audio_source = AudioSource::Test;
    s.audio_sink = AudioSink::Auto;
    EXPECT_FALSE(echo_cancel_active(s));
    EXPECT_FALSE(voice_processing(s));
    s.echo_cancel = EchoCancel::On;
    EXPECT_TRUE(echo_cancel_active(s));
}

TEST_F(ConfigFile, FragmentsFollowTheMainFile)
{
    const std::string confd = dir + "/conf.d";
    ASSERT_EQ(g_mkdir(confd.c_str(), 0700), 0);
    ASSERT_TRUE(g_file_set_contents((confd + "/20-late.conf").c_str(), "[device]\nname=Late\n", -1,
                                    nullptr));
    ASSERT_TRUE(g_file_set_contents((confd + "/10-board.conf").c_str(),
                                    "[device]\nname=Board\n[rooms]\nmax_browsers=3\n", -1,
                                    nullptr));
    ASSERT_TRUE(g_file_set_contents((confd + "/notes.txt").c_str(), "not a config", -1, nullptr));
    Config c = defaults();
    auto err = load_layered(write("[device]\nname=Main\n[rooms]\nhistory_length=7\n"), c);
    ASSERT_FALSE(err) << err->to_string();
    EXPECT_EQ(c.device_name, "Late"); // name order: the last fragment wins
    EXPECT_EQ(c.max_browsers, 3u);
    EXPECT_EQ(c.history_length, 7u);

    ASSERT_TRUE(
        g_file_set_contents((confd + "/30-bad.conf").c_str(), "[rooms]\nnope=1\n", -1, nullptr));
    c = defaults();
    err = load_layered(dir + "/callbox.conf", c);
    ASSERT_TRUE(err);
    EXPECT_EQ(err->to_string(), confd + "/30-bad.conf:2: unknown key 'nope' in [rooms]");
    for (const char *f : {"10-board.conf", "20-late.conf", "30-bad.conf", "notes.txt"})
        g_remove((confd + "/" + f).c_str());
    g_rmdir(confd.c_str());
}

TEST_F(ConfigFile, ReloadAppliesLiveKeysOnly)
{
    Config running = defaults();
    Config fresh = running;
    fresh.device_name = "Kitchen";
    fresh.access_code = "4321";
    fresh.max_browsers = 2;
    fresh.port = 9000;
    fresh.media.width = 640;
    fresh.media.room_delay_ms = 120; // the simulated room moves its echo path in running calls
    fresh.send_queue_kib = 512;
    ReloadResult r = apply_live(running, fresh);
    EXPECT_EQ(running.send_queue_kib, 512u);
    EXPECT_EQ(running.device_name, "Kitchen");
    EXPECT_EQ(running.access_code, "4321");
    EXPECT_EQ(running.max_browsers, 2u);
    EXPECT_EQ(running.port, 8443u);        // a restart applies it
    EXPECT_EQ(running.media.width, 1280u); // likewise
    EXPECT_EQ(running.media.room_delay_ms, 120u);
    EXPECT_EQ(r.applied, (std::vector<std::string>{"[server] send_queue_kib", "[device] name",
                                                   "[rooms] max_browsers", "[rooms] access_code",
                                                   "[media] room_delay_ms"}));
    EXPECT_EQ(r.need_restart, (std::vector<std::string>{"[server] port", "[media] width"}));
    EXPECT_TRUE(apply_live(running, running).applied.empty());
}

TEST_F(ConfigFile, StorageAndMediaBounds)
{
    Config c = defaults();
    EXPECT_EQ(c.history_per_room, 1000u);
    EXPECT_EQ(c.max_history_mb, 64u);
    EXPECT_EQ(c.media.max_sdp_bytes, 16384u);
    EXPECT_EQ(c.media.max_ice_candidates, 64u);
    EXPECT_EQ(c.media.whep_connect_timeout, 30u);
    EXPECT_EQ(error_of("[media]\nwhep_connect_timeout=1\n"),
              dir + "/callbox.conf:2: whep_connect_timeout: expected a whole number from 5 to 600, "
                    "got '1'");
    auto err = load(write("[storage]\nhistory_per_room=200\nmax_history_mb=8\n"
                          "[media]\nmax_sdp_bytes=8192\nmax_ice_candidates=10\n"),
                    c);
    ASSERT_FALSE(err) << err->to_string();
    EXPECT_EQ(c.history_per_room, 200u);
    EXPECT_EQ(c.max_history_mb, 8u);
    EXPECT_EQ(c.media.max_sdp_bytes, 8192u);
    EXPECT_EQ(c.media.max_ice_candidates, 10u);
    EXPECT_EQ(c.media.capture_retry_ms, 500u);
    EXPECT_EQ(c.media.capture_retry_max_ms, 2000u);
    EXPECT_EQ(c.media.capture_stall_ms, 800u);
    EXPECT_EQ(c.media.min_video_bitrate, 150u);
    EXPECT_EQ(c.media.low_video_bitrate, 300u);
    err = load(write("[media]\ncapture_retry_ms=200\ncapture_retry_max_ms=3000\n"
                     "capture_stall_ms=400\nmin_video_bitrate=300\nlow_video_bitrate=250\n"),
               c);
    ASSERT_FALSE(err) << err->to_string();
    EXPECT_EQ(c.media.capture_retry_ms, 200u);
    EXPECT_EQ(c.media.capture_retry_max_ms, 3000u);
    EXPECT_EQ(c.media.capture_stall_ms, 400u);
    EXPECT_EQ(c.media.min_video_bitrate, 300u);
    EXPECT_EQ(c.media.low_video_bitrate, 250u);
    const std::string path = dir + "/callbox.conf";
    EXPECT_EQ(error_of("[media]\nmax_sdp_bytes=100\n"),
              path + ":2: max_sdp_bytes: expected a whole number from 1024 to 65536, got '100'");
    EXPECT_EQ(error_of("[storage]\nmax_history_mb=0\n"),
              path + ":2: max_history_mb: expected a whole number from 1 to 1000000, got '0'");
    // A join replays history_length messages: the store must keep at least that many.
    EXPECT_NE(error_of("[storage]\nhistory_per_room=10\n[rooms]\nhistory_length=20\n")
                  .find("history_per_room (10) must be at least [rooms] history_length (20)"),
              std::string::npos);

    Config running = defaults();
    Config fresh = running;
    fresh.history_per_room = 300;
    fresh.max_history_mb = 16;
    fresh.media.max_sdp_bytes = 4096;
    ReloadResult r = apply_live(running, fresh);
    EXPECT_EQ(r.applied,
              (std::vector<std::string>{"[storage] history_per_room", "[storage] max_history_mb"}));
    EXPECT_EQ(r.need_restart, (std::vector<std::string>{"[media] max_sdp_bytes"}));
}

TEST_F(ConfigFile, RequestLimitsAndGuessBackOff)
{
    Config c = defaults();
    EXPECT_EQ(c.max_body_bytes, 1024u);
    EXPECT_EQ(c.admin_max_body_bytes, 4096u);
    EXPECT_EQ(c.guess_free_tries, 3u);
    EXPECT_EQ(c.guess_max_wait, 60u);
    EXPECT_EQ(c.guess_budget_per_minute, 30u);
    auto err = load(write("[server]\nmax_body_bytes=0\nadmin_max_body_bytes=512\n"
                          "guess_free_tries=0\nguess_max_wait=5\nguess_budget_per_minute=4\n"),
                    c);
    ASSERT_FALSE(err) << err->to_string();
    EXPECT_EQ(c.max_body_bytes, 0u);
    EXPECT_EQ(c.admin_max_body_bytes, 512u);
    EXPECT_EQ(c.guess_free_tries, 0u);
    EXPECT_EQ(c.guess_max_wait, 5u);
    EXPECT_EQ(c.guess_budget_per_minute, 4u);
    const std::string path = dir + "/callbox.conf";
    EXPECT_EQ(error_of("[server]\nadmin_max_body_bytes=100\n"),
              path + ":2: admin_max_body_bytes: expected a whole number from 256 to 1048576, got "
                     "'100'");
    EXPECT_EQ(error_of("[server]\nguess_max_wait=0\n"),
              path + ":2: guess_max_wait: expected a whole number from 1 to 3600, got '0'");
    EXPECT_EQ(error_of("[server]\nguess_budget_per_minute=0\n"),
              path +
                  ":2: guess_budget_per_minute: expected a whole number from 1 to 100000, got '0'");
    // All of them apply on a reload.
    Config running = defaults();
    ReloadResult r = apply_live(running, c);
    EXPECT_EQ(running.max_body_bytes, 0u);
    EXPECT_EQ(running.guess_budget_per_minute, 4u);
    EXPECT_EQ(r.applied,
              (std::vector<std::string>{"[server] max_body_bytes", "[server] admin_max_body_bytes",
                                        "[server] guess_free_tries", "[server] guess_max_wait",
                                        "[server] guess_budget_per_minute"}));
    EXPECT_TRUE(r.need_restart.empty());
}

TEST_F(ConfigFile, TextReadsLikeTheFile)
{
    // load() is load_text() over the file's contents: same values, same errors.
    const std::string good = "[device]\nname = Hall\\sdoor\n[rooms]\nmax_browsers=3\n";
    Config from_file = defaults();
    Config from_text = defaults();
    ASSERT_FALSE(load(write(good), from_file));
    ASSERT_FALSE(load_text("any.conf", good, from_text));
    EXPECT_EQ(from_text.device_name, "Hall door");
    EXPECT_EQ(from_text.max_browsers, 3u);
    Config copy = from_file;
    EXPECT_TRUE(apply_live(copy, from_text).applied.empty());

    Config c = defaults();
    auto err = load_text("any.conf", "[rooms]\nmax_browsers=0\n", c);
    ASSERT_TRUE(err);
    EXPECT_EQ(err->to_string(),
              "any.conf:2: max_browsers: expected a whole number from 1 to 10000, got '0'");
    EXPECT_EQ(load_text("any.conf", std::string_view("[rooms]\0", 8), c)->to_string(),
              "any.conf: the file is not valid UTF-8");
    c = defaults();
    EXPECT_FALSE(load_text("any.conf", "", c));
}

TEST_F(ConfigFile, SfuKeys)
{
    Config c = defaults();
    EXPECT_EQ(c.sfu_janus_url, "");
    EXPECT_EQ(c.sfu_mesh_max, 4u);
    EXPECT_EQ(c.sfu_max_rooms, 2u);
    EXPECT_EQ(c.sfu_timeout, 5u);
    EXPECT_EQ(c.sfu_device_retries, 3u);
    auto err = load(write("[sfu]\njanus_url=http://127.0.0.1:8088/janus\n"
                          "public_url=https://box.lan:8089/janus\nmesh_max=3\nmax_rooms=1\n"
                          "timeout=2\ndevice_retries=0\n"),
                    c);
    ASSERT_FALSE(err) << err->to_string();
    EXPECT_EQ(c.sfu_janus_url, "http://127.0.0.1:8088/janus");
    EXPECT_EQ(c.sfu_public_url, "https://box.lan:8089/janus");
    EXPECT_EQ(c.sfu_mesh_max, 3u);
    EXPECT_EQ(c.sfu_max_rooms, 1u);
    EXPECT_EQ(c.sfu_timeout, 2u);
    EXPECT_EQ(c.sfu_device_retries, 0u);
    const std::string path = dir + "/callbox.conf";
    EXPECT_EQ(error_of("[sfu]\njanus_url=ws://127.0.0.1:8188\n"),
              path +
                  ":2: janus_url: expected an http:// or https:// URL, got 'ws://127.0.0.1:8188'");
    EXPECT_EQ(error_of("[sfu]\nmesh_max=0\n"),
              path + ":2: mesh_max: expected a whole number from 1 to 64, got '0'");
}

TEST_F(ConfigFile, IceServersApplyLiveAndMintCoturnCredentials)
{
    Config c = defaults();
    EXPECT_TRUE(c.ice.stun.empty());
    EXPECT_TRUE(c.ice.turn.empty());
    EXPECT_FALSE(c.ice.relay_only);
    EXPECT_EQ(c.ice.turn_credential_lifetime, 86400u);
    EXPECT_TRUE(ice_servers(c.ice, "alice", 0).empty());
    auto err = load(write("[ice]\nstun=stun:stun.example.net:3478\n"
                          "turn=turn:turn.example.net:3478?transport=udp, turns:turn.example.net\n"
                          "turn_secret=s3cret\nturn_credential_lifetime=3600\nrelay_only=true\n"),
                    c);
    ASSERT_FALSE(err) << err->to_string();
    EXPECT_EQ(c.ice.turn, (std::vector<std::string>{"turn:turn.example.net:3478?transport=udp",
                                                    "turns:turn.example.net"}));
    EXPECT_TRUE(c.ice.relay_only);
    // coturn's use-auth-secret: "<expiry>:<who>", base64(HMAC-SHA1(secret, username)).
    const auto servers = ice_servers(c.ice, "alice", 1700000000 - 3600);
    ASSERT_EQ(servers.size(), 2u);
    EXPECT_EQ(servers[0].urls, (std::vector<std::string>{"stun:stun.example.net:3478"}));
    EXPECT_TRUE(servers[0].username.empty());
    EXPECT_EQ(servers[1].username, "1700000000:alice");
    EXPECT_EQ(servers[1].credential, "TtElzSjT0GdnTQ9xdcRNxx96yQs=");

    // Static credentials are handed out as they are.
    Config s = defaults();
    ASSERT_FALSE(load(write("[ice]\nturn=turn:127.0.0.1:3478\nturn_username=box\n"
                            "turn_credential=pw\n"),
                      s));
    EXPECT_EQ(ice_servers(s.ice, "alice", 5)[0].username, "box");
    EXPECT_EQ(ice_servers(s.ice, "alice", 5)[0].credential, "pw");

    const std::string path = dir + "/callbox.conf";
    EXPECT_EQ(error_of("[ice]\nstun=http://example.net\n"),
              path + ":2: stun: 'http://example.net' is not a STUN URL (stun:host:port or "
                     "stuns:host:port)");
    EXPECT_EQ(error_of("[ice]\nturn=turn://u:p@example.net\n"),
              path + ":2: turn: 'turn://u:p@example.net' is not a TURN URL (turn:host:port or "
                     "turns:host:port)");
    EXPECT_NE(error_of("[ice]\nturn=turn:example.net?transport=sctp\nturn_secret=x\n")
                  .find("?transport=udp or ?transport=tcp"),
              std::string::npos);
    EXPECT_NE(error_of("[ice]\nturn=turn:example.net\n")
                  .find("turn needs turn_secret, or turn_username and turn_credential"),
              std::string::npos);
    EXPECT_NE(error_of("[ice]\nrelay_only=true\n").find("relay_only needs a TURN server"),
              std::string::npos);
    EXPECT_NE(error_of("[ice]\nturn_credential_lifetime=10\n").find("from 60 to 2592000"),
              std::string::npos);

    // Every [ice] key applies on a reload (to calls that start after it).
    Config running = defaults();
    ReloadResult r = apply_live(running, c);
    EXPECT_EQ(running.ice, c.ice);
    EXPECT_EQ(r.applied,
              (std::vector<std::string>{"[ice] stun", "[ice] turn", "[ice] turn_secret",
                                        "[ice] turn_credential_lifetime", "[ice] relay_only"}));
    EXPECT_TRUE(r.need_restart.empty());
}
