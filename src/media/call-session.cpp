// CallSession: answerer set-up in the order webrtcbin needs (bin playing → send branches with
// the browser's payload types → remote offer → answer → candidates), and teardown.
#include "media/call-session.hpp"

#include "media/capture-graph.hpp"
#include "media/clock-pattern.hpp"
#include "media/gst-elements.hpp"
#include "media/ice-servers.hpp"
#include "media/layer-switch.hpp"
#include "media/media-engine.hpp"
#include "media/playback-mixer.hpp"
#include "media/send-branch.hpp"
#include "util/glib-ptr.hpp"

#include <gst/sdp/sdp.h>
#include <gst/video/video.h>

#include <algorithm>
#include <deque>

GST_DEBUG_CATEGORY_STATIC(call_debug);
#define GST_CAT_DEFAULT call_debug

namespace callbox::media {

struct CallSession::Shared {
    MediaEngine *engine;
    std::uint64_t serial;
    GstElement *bin; // the call's, which outlives every streaming thread that sees this
    PlaybackMixer *playback;
    std::mutex mutex;
    bool closing = false;
    std::vector<PlaybackMixer::Input> mixer_inputs; // given back when the call ends
    Counters counters;
    // The browser's clock pattern, read from decoded frames (newest last, at most 512).
    std::mutex clock_mutex;
    GstVideoInfo video_info;
    bool video_info_valid = false;
    std::deque<double> clock_latencies;
};

namespace {

using SharedPtr = std::shared_ptr<CallSession::Shared>;

// A heap copy of the shared state for one signal handler or promise, freed by GLib.
gpointer hold(const SharedPtr &shared)
{
    return new SharedPtr(shared);
}
void release_hold(gpointer data, GClosure * = nullptr)
{
    delete static_cast<SharedPtr *>(data);
}
CallSession::Shared &held(gpointer data)
{
    return **static_cast<SharedPtr *>(data);
}

void connect(gpointer object, const char *signal, GCallback callback, const SharedPtr &shared)
{
    g_signal_connect_data(object, signal, callback, hold(shared), release_hold,
                          static_cast<GConnectFlags>(0));
}

GstPadProbeReturn count_buffer(GstPad *, GstPadProbeInfo *, gpointer counter)
{
    ++*static_cast<std::atomic<std::uint64_t> *>(counter);
    return GST_PAD_PROBE_OK;
}

// Counts a decoded frame from the browser, keeps the longest gap between two and counts the long
// ones.
GstPadProbeReturn note_video_in(GstPad *, GstPadProbeInfo *, gpointer data)
{
    auto &c = *static_cast<CallSession::Counters *>(data);
    ++c.video_frames_in;
    const std::int64_t now = g_get_monotonic_time();
    const std::int64_t last = c.video_in_last_us.exchange(now);
    if (last <= 0)
        return GST_PAD_PROBE_OK;
    if (now - last > c.video_in_max_gap_us)
        c.video_in_max_gap_us = now - last;
    for (std::size_t i = 0; i < c.kGapBucketsMs.size(); ++i)
        if (now - last > c.kGapBucketsMs[i] * std::int64_t{1000})
            ++c.video_in_gaps_over[i];
    return GST_PAD_PROBE_OK;
}

// Reads the browser's clock pattern, if it sends one, from each decoded frame.
GstPadProbeReturn read_browser_clock(GstPad *, GstPadProbeInfo *info, gpointer data)
{
    CallSession::Shared &s = held(data);
    std::lock_guard lock(s.clock_mutex);
    if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
        GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
        if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
            GstCaps *caps = nullptr;
            gst_event_parse_caps(event, &caps);
            s.video_info_valid = gst_video_info_from_caps(&s.video_info, caps) &&
                                 GST_VIDEO_INFO_WIDTH(&s.video_info) >= 592 &&
                                 GST_VIDEO_INFO_IS_YUV(&s.video_info);
        }
        return GST_PAD_PROBE_OK;
    }
    if (!s.video_info_valid)
        return GST_PAD_PROBE_OK;
    GstVideoFrame frame;
    if (!gst_video_frame_map(&frame, &s.video_info, GST_PAD_PROBE_INFO_BUFFER(info), GST_MAP_READ))
        return GST_PAD_PROBE_OK;
    auto *y = static_cast<std::uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
    I420View view{y,
                  y,
                  y,
                  GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0),
                  0,
                  0,
                  GST_VIDEO_FRAME_WIDTH(&frame),
                  GST_VIDEO_FRAME_HEIGHT(&frame)};
    if (auto stamp = read_clock_pattern(view)) {
        const double latency =
            static_cast<double>(g_get_real_time()) / 1000.0 - static_cast<double>(stamp->time_ms);
        s.clock_latencies.push_back(latency);
        if (s.clock_latencies.size() > 512)
            s.clock_latencies.pop_front();
    }
    gst_video_frame_unmap(&frame);
    return GST_PAD_PROBE_OK;
}

// A decoded stream from the browser: queue → ghost pad → compositor or audio mixer.
void on_decoded_pad(GstElement *, GstPad *pad, gpointer data)
{
    CallSession::Shared &s = held(data);
    g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
    if (!caps)
        caps = gst_pad_query_caps(pad, nullptr);
    const char *name = gst_structure_get_name(gst_caps_get_structure(caps, 0));
    const bool video = g_str_has_prefix(name, "video/");
    if (!video && !g_str_has_prefix(name, "audio/"))
        return;
    std::lock_guard lock(s.mutex);
    if (s.closing)
        return;
    std::string error;
    ElementPtr queue = make_element("queue", nullptr, error);
    if (!queue) {
        GST_WARNING("call %" G_GUINT64_FORMAT ": %s", s.serial, error.c_str());
        return;
    }
    g_object_set(queue.get(), "max-size-buffers", 3, "max-size-bytes", 0, "max-size-time",
                 G_GUINT64_CONSTANT(0), "leaky", 2, nullptr);
    gst_bin_add(GST_BIN(s.bin), queue.get());
    gst_element_sync_state_with_parent(queue.get());
    gst_pad_link(pad, static_pad(queue.get(), "sink").get());
    PadPtr queue_src = static_pad(queue.get(), "src");
    // A decoder can hand out a buffer without a timestamp (after a loss); the compositor
    // fails the whole stream on one, so such a buffer is dropped here instead.
    gst_pad_add_probe(
        queue_src.get(), GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad *, GstPadProbeInfo *info, gpointer) {
            return GST_BUFFER_PTS_IS_VALID(GST_PAD_PROBE_INFO_BUFFER(info)) ? GST_PAD_PROBE_OK
                                                                            : GST_PAD_PROBE_DROP;
        },
        nullptr, nullptr);
    if (video)
        gst_pad_add_probe(queue_src.get(), GST_PAD_PROBE_TYPE_BUFFER, note_video_in, &s.counters,
                          nullptr);
    else
        gst_pad_add_probe(queue_src.get(), GST_PAD_PROBE_TYPE_BUFFER, count_buffer,
                          &s.counters.audio_buffers_in, nullptr);
    if (video)
        gst_pad_add_probe(queue_src.get(),
                          static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                                       GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                          read_browser_clock, hold(*static_cast<SharedPtr *>(data)),
                          [](gpointer d) { release_hold(d); });
    PadPtr ghost = sink(gst_ghost_pad_new(nullptr, queue_src.get()));
    gst_pad_set_active(ghost.get(), TRUE);
    gst_element_add_pad(s.bin, ghost.get());
    PlaybackMixer::Input input =
        video ? s.playback->request_video_pad() : s.playback->request_audio_pad();
    if (gst_pad_link(ghost.get(), input.pad()) != GST_PAD_LINK_OK)
        GST_WARNING("call %" G_GUINT64_FORMAT ": cannot link %s into playback", s.serial, name);
    s.mixer_inputs.push_back(std::move(input));
    GST_INFO("call %" G_GUINT64_FORMAT ": playing the browser's %s", s.serial, name);
}

// An RTP stream from the browser: decodebin finds the depayloader and decoder.
void on_webrtc_pad(GstElement *, GstPad *pad, gpointer data)
{
    if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
        return;
    CallSession::Shared &s = held(data);
    std::lock_guard lock(s.mutex);
    if (s.closing)
        return;
    std::string error;
    ElementPtr decode = make_element("decodebin", nullptr, error);
    if (!decode) {
        GST_WARNING("call %" G_GUINT64_FORMAT ": %s", s.serial, error.c_str());
        return;
    }
    connect(decode.get(), "pad-added", G_CALLBACK(on_decoded_pad), *static_cast<SharedPtr *>(data));
    gst_bin_add(GST_BIN(s.bin), decode.get());
    gst_element_sync_state_with_parent(decode.get());
    gst_pad_link(pad, static_pad(decode.get(), "sink").get());
}

} // namespace

CallSession::CallSession(MediaEngine &engine, std::unique_ptr<CallSignalling> signalling,
                         rooms::PeerId peer, std::uint64_t serial)
    : engine_(engine), signalling_(std::move(signalling)), peer_(peer), serial_(serial)
{
    GST_DEBUG_CATEGORY_INIT(call_debug, "callbox-call", 0, "callbox calls");
}

const CallSession::Counters &CallSession::counters() const
{
    return shared_->counters;
}

namespace {

// Calls `fn(type, entry)` for each entry of a webrtcbin get-stats reply.
template <typename Fn> void for_each_stat(const GstStructure *reply, Fn fn)
{
    for (int i = 0; reply && i < gst_structure_n_fields(reply); ++i) {
        const GValue *v = gst_structure_get_value(reply, gst_structure_nth_field_name(reply, i));
        GstWebRTCStatsType type;
        if (GST_VALUE_HOLDS_STRUCTURE(v) &&
            gst_structure_get(gst_value_get_structure(v), "type", GST_TYPE_WEBRTC_STATS_TYPE, &type,
                              nullptr))
            fn(type, gst_value_get_structure(v));
    }
}

// Adds one get-stats entry to `report`: the bytes the device sent, and per stream it sends the
// browser's last report block on it — its cumulative loss, the highest sequence number it had
// seen then, which block it is (LSR, DLSR), and the round trip it gave.
void add_stat(PathReport &report, GstWebRTCStatsType type, const GstStructure *st)
{
    guint64 bytes = 0;
    if (type == GST_WEBRTC_STATS_OUTBOUND_RTP && gst_structure_get_uint64(st, "bytes-sent", &bytes))
        report.bytes_sent += bytes;
    if (type != GST_WEBRTC_STATS_REMOTE_INBOUND_RTP)
        return;
    gint lost = 0;
    guint highest = 0, ssrc = 0, lsr = 0, dlsr = 0;
    double rtt = 0;
    GstStructure *block = nullptr;
    if (gst_structure_get(st, "gst-rtpsource-stats", GST_TYPE_STRUCTURE, &block, nullptr) &&
        gst_structure_get_int(block, "rb-packetslost", &lost) &&
        gst_structure_get_uint(block, "rb-exthighestseq", &highest) &&
        gst_structure_get_uint(st, "ssrc", &ssrc)) {
        gst_structure_get_uint(block, "rb-lsr", &lsr);
        gst_structure_get_uint(block, "rb-dlsr", &dlsr);
        const bool known = gst_structure_get_double(st, "round-trip-time", &rtt) && rtt > 0;
        report.streams[ssrc] = {highest, lost, lsr, dlsr, known ? rtt * 1000 : -1};
    }
    if (block)
        gst_structure_free(block);
}

} // namespace

void CallSession::request_path_report()
{
    // Asked from the main loop once a second: answered on webrtcbin's thread, kept when the
    // answer comes back to the main loop; the main loop never waits for webrtcbin.
    PromisePtr promise(gst_promise_new_with_change_func(
        [](GstPromise *p, gpointer data) {
            Shared &s = held(data);
            PathReport report;
            for_each_stat(gst_promise_get_reply(p),
                          [&](GstWebRTCStatsType type, const GstStructure *st) {
                              add_stat(report, type, st);
                          });
            report.at_us = g_get_monotonic_time();
            s.engine->post(s.serial, [report](CallSession &call) mutable {
                if (call.rtx_)
                    report.rtx = call.rtx_->counts();
                report.follow(call.path_);
                call.path_ = report;
            });
        },
        hold(shared_), [](gpointer data) { release_hold(data); }));
    g_signal_emit_by_name(webrtc_.get(), "get-stats", nullptr, promise.get());
}

CallSession::LiveStats CallSession::sample_stats()
{
    LiveStats out;
    Sample now{g_get_monotonic_time(), 0, 0, shared_->counters.video_frames_in,
               shared_->counters.video_frames_out};
    std::uint64_t received = 0, lost = 0;
    PromisePtr promise(gst_promise_new());
    g_signal_emit_by_name(webrtc_.get(), "get-stats", nullptr, promise.get());
    // webrtcbin answers from its own thread within milliseconds; the admin page asks every 2 s.
    if (gst_promise_wait(promise.get()) == GST_PROMISE_RESULT_REPLIED) {
        for_each_stat(gst_promise_get_reply(promise.get()),
                      [&](GstWebRTCStatsType type, const GstStructure *st) {
                          guint64 u = 0;
                          gint64 i64 = 0;
                          double d = 0;
                          if (type == GST_WEBRTC_STATS_INBOUND_RTP) {
                              if (gst_structure_get_uint64(st, "bytes-received", &u))
                                  now.bytes_in += u;
                              if (gst_structure_get_uint64(st, "packets-received", &u))
                                  received += u;
                              if (gst_structure_get_int64(st, "packets-lost", &i64) && i64 > 0)
                                  lost += static_cast<std::uint64_t>(i64);
                          } else if (type == GST_WEBRTC_STATS_OUTBOUND_RTP) {
                              if (gst_structure_get_uint64(st, "bytes-sent", &u))
                                  now.bytes_out += u;
                          } else if (type == GST_WEBRTC_STATS_REMOTE_INBOUND_RTP) {
                              if (gst_structure_get_double(st, "round-trip-time", &d) && d > 0)
                                  out.rtt_ms = std::max(out.rtt_ms, d * 1000);
                          }
                      });
    }
    if (received + lost > 0)
        out.packet_loss = static_cast<double>(lost) / static_cast<double>(received + lost);
    if (last_sample_.at_us > 0 && now.at_us > last_sample_.at_us) {
        const double seconds = static_cast<double>(now.at_us - last_sample_.at_us) / 1e6;
        auto rate = [seconds](std::uint64_t a, std::uint64_t b) {
            return a >= b ? static_cast<double>(a - b) / seconds : 0.0;
        };
        out.bitrate_in_kbps = rate(now.bytes_in, last_sample_.bytes_in) * 8 / 1000;
        out.bitrate_out_kbps = rate(now.bytes_out, last_sample_.bytes_out) * 8 / 1000;
        out.fps_in = rate(now.frames_in, last_sample_.frames_in);
        out.fps_out = rate(now.frames_out, last_sample_.frames_out);
    }
    last_sample_ = now;
    return out;
}

CallSession::ClockLatency CallSession::clock_latency() const
{
    std::vector<double> v;
    {
        std::lock_guard lock(shared_->clock_mutex);
        v.assign(shared_->clock_latencies.begin(), shared_->clock_latencies.end());
    }
    if (v.empty())
        return {};
    std::sort(v.begin(), v.end());
    return {v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 95 / 100)], v.size()};
}

std::string CallSession::video_codec() const
{
    for (const auto &l : plan_.lines)
        if (l.kind == MediaKind::Video && l.codec != Codec::None)
            return std::string(codec_name(l.codec));
    return "";
}

using SessionDescriptionPtr =
    Owned<GstWebRTCSessionDescription, gst_webrtc_session_description_free>;

bool CallSession::start(GstBin *pipeline, CaptureGraph &capture, PlaybackMixer &playback,
                        const OfferPlan &plan, const std::string &offer, std::string &error)
{
    send_state("connecting");
    pipeline_ = pipeline;
    capture_ = &capture;
    plan_ = plan;
    const std::string name =
        "call-" + rooms::RoomRegistry::peer_name(peer_) + "-" + std::to_string(serial_);
    bin_ = sink(gst_bin_new(name.c_str()));
    shared_ = std::make_shared<Shared>();
    shared_->engine = &engine_;
    shared_->serial = serial_;
    shared_->bin = bin_.get();
    shared_->playback = &playback;
    webrtc_ = make_element("webrtcbin", nullptr, error);
    if (!webrtc_)
        return false;
    GstElement *webrtc = webrtc_.get();

    g_object_set(webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
                 engine_.settings().jitter_ms, nullptr);
    relay_only_ = engine_.ice().relay_only;
    configure_ice_servers(webrtc, engine_.ice(), "callbox-" + name);
    gst_bin_add(GST_BIN(bin_.get()), webrtc);
    set_up_ice_agent(webrtc, engine_.settings().ice_addresses);
    tune_send_path(webrtc);
    rtx_ = limit_retransmissions(webrtc);
    connect(webrtc, "on-ice-candidate",
            G_CALLBACK(+[](GstElement *, guint mline, gchar *candidate, gpointer data) {
                Shared &s = held(data);
                s.engine->post(s.serial, [mline, c = std::string(candidate)](CallSession &call) {
                    call.on_local_candidate(mline, c);
                });
            }),
            shared_);
    connect(webrtc, "notify::connection-state",
            G_CALLBACK(+[](GstElement *webrtc, GParamSpec *, gpointer data) {
                Shared &s = held(data);
                GstWebRTCPeerConnectionState state;
                g_object_get(webrtc, "connection-state", &state, nullptr);
                s.engine->post(s.serial,
                               [state](CallSession &call) { call.on_connection_state(state); });
            }),
            shared_);
    connect(webrtc, "notify::ice-gathering-state",
            G_CALLBACK(+[](GstElement *webrtc, GParamSpec *, gpointer data) {
                Shared &s = held(data);
                GstWebRTCICEGatheringState state;
                g_object_get(webrtc, "ice-gathering-state", &state, nullptr);
                if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
                    s.engine->post(s.serial, [](CallSession &call) { call.on_gathering_done(); });
            }),
            shared_);
    connect(webrtc, "pad-added", G_CALLBACK(on_webrtc_pad), shared_);
    // NACK and RTX: without do-nack, webrtcbin (1.22) strips nack from the answer, so a
    // browser never asks for a lost packet again and waits for the next keyframe instead.
    // With it the answer keeps nack and takes the browser's rtx payload type where it offers
    // one, and webrtcbin retransmits from its rtx history. Set on every transceiver, those
    // the device sends on and those the answer makes for receiving only.
    g_signal_connect(webrtc, "on-new-transceiver",
                     G_CALLBACK(+[](GstElement *, GstWebRTCRTPTransceiver *transceiver) {
                         g_object_set(transceiver, "do-nack", TRUE, nullptr);
                     }),
                     nullptr);

    // webrtcbin must not be closed (NULL) when the offer is applied.
    gst_bin_add(pipeline_, bin_.get());
    gst_element_sync_state_with_parent(bin_.get());

    // The device's streams go in before the answer is made, or it answers recvonly.
    for (const PlannedLine &line : plan_.lines)
        if (line.device_sends && line.codec != Codec::None &&
            !add_send_branch(line, capture, error))
            return false;

    GstSDPMessage *sdp = nullptr;
    if (gst_sdp_message_new_from_text(offer.c_str(), &sdp) != GST_SDP_OK) {
        error = "the offer is not valid SDP";
        return false;
    }
    gst_sdp_message_free(sdp);
    apply_remote_offer(offer);
    return true;
}

void CallSession::apply_remote_offer(const std::string &offer)
{
    GstSDPMessage *sdp = nullptr;
    gst_sdp_message_new_from_text(offer.c_str(), &sdp);
    // The description takes the SDP message.
    SessionDescriptionPtr desc(gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, sdp));
    PromisePtr promise(gst_promise_new_with_change_func(
        [](GstPromise *, gpointer data) {
            Shared &s = held(data);
            s.engine->post(s.serial, [](CallSession &call) { call.on_remote_description_set(); });
        },
        hold(shared_), [](gpointer data) { release_hold(data); }));
    g_signal_emit_by_name(webrtc_.get(), "set-remote-description", desc.get(), promise.get());
}

// webrtcbin (1.22) as answerer keeps its own ICE credentials on a restart (its answer reuses the
// last answer's ufrag and pwd: "FIXME: deal with ICE restarts" in _create_answer_task) but takes
// the browser's new ones (set_remote_credentials on the same libnice stream) and its new
// candidates; the browser, which restarted, checks its new candidates against the device's and
// nominates a new pair. The DTLS session and the SRTP keys stay, so media resumes as soon as a
// pair works. A replacement webrtcbin would bring a new DTLS certificate instead, which the
// browser does not take mid-call (media stopped in the test).
bool CallSession::renegotiate(const OfferPlan &plan, const std::string &offer)
{
    if (finished_ || !remote_set_ || plan.lines.size() != plan_.lines.size())
        return false;
    for (std::size_t i = 0; i < plan.lines.size(); ++i) {
        const PlannedLine &was = plan_.lines[i], &now = plan.lines[i];
        if (was.kind != now.kind || was.mid != now.mid || was.codec != now.codec ||
            was.payload_type != now.payload_type || (now.device_sends && !was.device_sends))
            return false;
    }
    GstSDPMessage *sdp = nullptr;
    if (gst_sdp_message_new_from_text(offer.c_str(), &sdp) != GST_SDP_OK)
        return false;
    gst_sdp_message_free(sdp);
    GST_INFO("call %" G_GUINT64_FORMAT ": answering a new offer in place", serial_);
    plan_ = plan;
    remote_set_ = false; // the browser's new candidates wait for the new description
    apply_remote_offer(offer);
    return true;
}

bool CallSession::add_send_branch(const PlannedLine &line, CaptureGraph &capture,
                                  std::string &error)
{
    GstElement *tee = capture.tee_for(line.codec, error);
    return tee && media::add_send_branch(GST_BIN(bin_.get()), webrtc_.get(), line, tee,
                                         shared_->counters.video_frames_out, tee_pads_, error);
}

void CallSession::on_remote_description_set()
{
    remote_set_ = true;
    for (const auto &[mline, candidate] : pending_candidates_)
        g_signal_emit_by_name(webrtc_.get(), "add-ice-candidate", mline, candidate.c_str());
    pending_candidates_.clear();

    PromisePtr promise(gst_promise_new_with_change_func(
        [](GstPromise *p, gpointer data) {
            Shared &s = held(data);
            auto answer = promised_description(p, "answer");
            s.engine->post(s.serial, [answer](CallSession &call) { call.on_answer(answer.get()); });
        },
        hold(shared_), [](gpointer data) { release_hold(data); }));
    g_signal_emit_by_name(webrtc_.get(), "create-answer", nullptr, promise.get());
}

void CallSession::on_answer(GstWebRTCSessionDescription *answer)
{
    if (!answer)
        return fail(protocol::ErrorCode::MediaError, "the device could not answer this offer");
    g_signal_emit_by_name(webrtc_.get(), "set-local-description", answer, nullptr);
    GCharPtr text(gst_sdp_message_as_text(answer->sdp));
    signalling_->signal(
        protocol::SessionDescription{protocol::SessionDescription::Type::Answer, text.get()});
}

void CallSession::add_remote_candidate(const protocol::IceCandidate &ice)
{
    if (ice.candidate.empty())
        return; // end of candidates
    std::optional<unsigned> mline;
    if (ice.mline_index && *ice.mline_index >= 0 &&
        static_cast<std::uint64_t>(*ice.mline_index) < plan_.lines.size())
        mline = static_cast<unsigned>(*ice.mline_index);
    for (const auto &l : plan_.lines)
        if (!mline && ice.mid && l.mid == *ice.mid)
            mline = l.mline;
    if (!mline)
        return; // a line this call does not have
    std::string why;
    if (!remote_candidate_allowed(ice.candidate, engine_.settings().ice_addresses, why)) {
        GST_DEBUG("call %" G_GUINT64_FORMAT ": dropped a candidate: %s", serial_, why.c_str());
        return;
    }
    if (remote_candidates_ >= engine_.settings().max_ice_candidates) {
        GST_DEBUG("call %" G_GUINT64_FORMAT ": dropped a candidate past the first %u", serial_,
                  engine_.settings().max_ice_candidates);
        return;
    }
    ++remote_candidates_;
    if (!remote_set_)
        pending_candidates_.emplace_back(*mline, ice.candidate);
    else
        g_signal_emit_by_name(webrtc_.get(), "add-ice-candidate", *mline, ice.candidate.c_str());
}

void CallSession::on_local_candidate(unsigned mline, const std::string &candidate)
{
    if (candidate.find(" typ relay") != std::string::npos)
        ++relay_candidates_;
    protocol::IceCandidate ice{candidate, std::nullopt, mline};
    if (mline < plan_.lines.size())
        ice.mid = plan_.lines[mline].mid;
    signalling_->signal(ice);
}

void CallSession::on_connection_state(GstWebRTCPeerConnectionState state)
{
    switch (state) {
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED:
        if (state_ != "connected") {
            send_state("connected");
            engine_.call_connected();
            // Whoever just connected gets a keyframe now, not at the next interval.
            for (const RequestPad &pad : tee_pads_)
                capture_->force_keyframe(pad.element(), CaptureGraph::KeyframeFor::NewReceiver);
        }
        break;
    case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED:
        finish("failed");
        break;
    case GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED:
        finish("ended");
        break;
    default:
        break;
    }
}

void CallSession::on_gathering_done()
{
    if (gathered_ || finished_)
        return;
    gathered_ = true;
    if (relay_only_ && relay_candidates_ == 0) {
        g_warning("media: call %" G_GUINT64_FORMAT ": no TURN relay address", serial_);
        return fail(protocol::ErrorCode::MediaError,
                    "the TURN server gave the device no relay address (wrong TURN credentials, "
                    "or the server cannot be reached), and the device only uses relays");
    }
    signalling_->gathered();
}

void CallSession::fail(protocol::ErrorCode code, std::string message)
{
    if (finished_)
        return;
    signalling_->error(code, std::move(message));
    finish("failed");
}

void CallSession::finish(const char *state)
{
    if (finished_)
        return;
    finished_ = true;
    send_state(state);
}

void CallSession::send_state(const char *state)
{
    state_ = state;
    signalling_->state(state);
}

namespace {

GstState current_state(GstElement *element)
{
    GstState state = GST_STATE_VOID_PENDING;
    gst_element_get_state(element, &state, nullptr, 0);
    return state;
}

// Stops every element of a call's bin (NULL: their streaming threads joined) before the bin
// may go. The bin's own change can stop half-way — a child that fails its change, or one
// still prerolling leaves the bin PAUSED with children PLAYING — and a bin freed like that
// leaves threads running on freed elements (which later hang the main loop on a freed lock),
// so then each element is stopped by itself.
void stop_elements(GstElement *bin, std::uint64_t serial)
{
    // From here on, changes of the pipeline leave the call's elements alone.
    gst_element_set_locked_state(bin, TRUE);
    const GstStateChangeReturn result = gst_element_set_state(bin, GST_STATE_NULL);
    if (result == GST_STATE_CHANGE_SUCCESS && current_state(bin) == GST_STATE_NULL)
        return;
    g_warning("media: call %" G_GUINT64_FORMAT " did not stop as a whole (%s, %s); stopping its "
              "elements one by one",
              serial, gst_element_state_change_return_get_name(result),
              gst_element_state_get_name(current_state(bin)));
    const Owned<GstIterator, gst_iterator_free> it(gst_bin_iterate_recurse(GST_BIN(bin)));
    GValue item = G_VALUE_INIT;
    for (bool done = false; !done;) {
        switch (gst_iterator_next(it.get(), &item)) {
        case GST_ITERATOR_OK:
            gst_element_set_state(GST_ELEMENT(g_value_get_object(&item)), GST_STATE_NULL);
            g_value_reset(&item);
            break;
        case GST_ITERATOR_RESYNC:
            gst_iterator_resync(it.get());
            break;
        default:
            done = true;
            break;
        }
    }
    g_value_unset(&item);
    gst_element_set_state(bin, GST_STATE_NULL);
}

} // namespace

CallSession::~CallSession()
{
    if (!shared_)
        return;
    {
        std::lock_guard lock(shared_->mutex);
        shared_->closing = true;
    }
    // Stop feeding the call, stop its threads, then give back the mixer inputs.
    layer_switch_.reset();
    tee_pads_.clear();
    stop_elements(bin_.get(), serial_);
    shared_->mixer_inputs.clear();
    if (GST_OBJECT_PARENT(bin_.get()))
        gst_bin_remove(pipeline_, bin_.get());
}

} // namespace callbox::media
