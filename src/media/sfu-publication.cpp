// SfuPublication: offerer set-up (bin playing → send-only branches → negotiation-needed →
// offer → answer), its candidates and state handed to the main loop, and teardown.
#include "media/sfu-publication.hpp"

#include "media/capture-graph.hpp"
#include "media/gst-elements.hpp"
#include "media/media-engine.hpp"
#include "media/send-branch.hpp"
#include "util/glib-ptr.hpp"

#include <gst/sdp/sdp.h>

GST_DEBUG_CATEGORY_STATIC(publication_debug);
#define GST_CAT_DEFAULT publication_debug

namespace callbox::media {

namespace {

using SharedPtr = std::shared_ptr<SfuPublication::Shared>;
using SessionDescriptionPtr =
    Owned<GstWebRTCSessionDescription, gst_webrtc_session_description_free>;

SfuPublication::Shared &held(gpointer data)
{
    return **static_cast<SharedPtr *>(data);
}

// Runs `job` on the main loop if the publication still exists then.
void hop(gpointer data, std::function<void(SfuPublication &)> job)
{
    SfuPublication::Shared &s = held(data);
    s.engine->post_publication(s.key, s.serial, std::move(job));
}

void connect(gpointer object, const char *signal, GCallback callback, const SharedPtr &shared)
{
    g_signal_connect_data(
        object, signal, callback, new SharedPtr(shared),
        [](gpointer data, GClosure *) { delete static_cast<SharedPtr *>(data); },
        static_cast<GConnectFlags>(0));
}

} // namespace

SfuPublication::SfuPublication(MediaEngine &engine, std::string key, sfu::PublisherSink &sink,
                               std::uint64_t serial)
    : engine_(engine), key_(std::move(key)), sink_(sink), serial_(serial)
{
    GST_DEBUG_CATEGORY_INIT(publication_debug, "callbox-sfu", 0, "callbox SFU publication");
}

bool SfuPublication::start(GstBin *pipeline, CaptureGraph &capture, std::string &error)
{
    pipeline_ = pipeline;
    capture_ = &capture;
    shared_ = std::make_shared<Shared>();
    shared_->engine = &engine_;
    shared_->key = key_;
    shared_->serial = serial_;
    bin_ = sink(gst_bin_new(("sfu-" + std::to_string(serial_)).c_str()));
    webrtc_ = make_element("webrtcbin", nullptr, error);
    if (!webrtc_)
        return false;
    GstElement *webrtc = webrtc_.get();
    g_object_set(webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
    gst_bin_add(GST_BIN(bin_.get()), webrtc);
    set_up_ice_agent(webrtc, engine_.settings().ice_addresses);
    tune_send_path(webrtc);
    connect(webrtc, "on-negotiation-needed", G_CALLBACK(+[](GstElement *, gpointer data) {
                hop(data, [](SfuPublication &p) { p.on_negotiation_needed(); });
            }),
            shared_);
    connect(webrtc, "on-ice-candidate",
            G_CALLBACK(+[](GstElement *, guint mline, gchar *candidate, gpointer data) {
                hop(data, [mline, c = std::string(candidate)](SfuPublication &p) {
                    p.sink_.candidate(mline, c);
                });
            }),
            shared_);
    connect(webrtc, "notify::ice-gathering-state",
            G_CALLBACK(+[](GstElement *webrtc, GParamSpec *, gpointer data) {
                GstWebRTCICEGatheringState state;
                g_object_get(webrtc, "ice-gathering-state", &state, nullptr);
                if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
                    hop(data, [](SfuPublication &p) { p.sink_.candidate(0, ""); });
            }),
            shared_);
    connect(webrtc, "notify::connection-state",
            G_CALLBACK(+[](GstElement *webrtc, GParamSpec *, gpointer data) {
                GstWebRTCPeerConnectionState state;
                g_object_get(webrtc, "connection-state", &state, nullptr);
                hop(data, [state](SfuPublication &p) { p.on_connection_state(state); });
            }),
            shared_);
    gst_bin_add(pipeline_, bin_.get());
    gst_element_sync_state_with_parent(bin_.get());

    const PlannedLine lines[] = {
        {0, "0", MediaKind::Video, true, false, Codec::H264, kH264PayloadType},
        {1, "1", MediaKind::Audio, true, false, Codec::Opus, kOpusPayloadType},
    };
    for (const PlannedLine &line : lines) {
        GstElement *tee = capture.tee_for(line.codec, error);
        // Janus finds each bundled stream by the SSRC the offer names (add_send_branch does).
        if (!tee || !add_send_branch(GST_BIN(bin_.get()), webrtc, line, tee, shared_->video_frames,
                                     tee_pads_, error))
            return false;
    }
    // The device only sends into the SFU; what the room sends it does not play.
    GArray *transceivers = nullptr;
    g_signal_emit_by_name(webrtc, "get-transceivers", &transceivers);
    for (guint i = 0; transceivers && i < transceivers->len; ++i)
        g_object_set(g_array_index(transceivers, GstWebRTCRTPTransceiver *, i), "direction",
                     GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, nullptr);
    if (transceivers)
        g_array_unref(transceivers);
    return true;
}

void SfuPublication::on_negotiation_needed()
{
    if (offered_ || over_)
        return;
    offered_ = true;
    PromisePtr promise(gst_promise_new_with_change_func(
        [](GstPromise *p, gpointer data) {
            auto offer = promised_description(p, "offer");
            hop(data, [offer](SfuPublication &pub) { pub.on_offer(offer.get()); });
        },
        new SharedPtr(shared_), [](gpointer data) { delete static_cast<SharedPtr *>(data); }));
    g_signal_emit_by_name(webrtc_.get(), "create-offer", nullptr, promise.get());
}

void SfuPublication::on_offer(GstWebRTCSessionDescription *offer)
{
    if (!offer)
        return fail("webrtcbin made no offer");
    g_signal_emit_by_name(webrtc_.get(), "set-local-description", offer, nullptr);
    GCharPtr text(gst_sdp_message_as_text(offer->sdp));
    GST_DEBUG("publication %s offers:\n%s", key_.c_str(), text.get());
    sink_.offer(text.get());
}

void SfuPublication::answer(const std::string &sdp)
{
    GstSDPMessage *message = nullptr;
    if (gst_sdp_message_new_from_text(sdp.c_str(), &message) != GST_SDP_OK)
        return fail("the SFU's answer is not valid SDP");
    GST_DEBUG("publication %s: the SFU answers:\n%s", key_.c_str(), sdp.c_str());
    SessionDescriptionPtr desc(
        gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, message));
    g_signal_emit_by_name(webrtc_.get(), "set-remote-description", desc.get(), nullptr);
}

void SfuPublication::on_connection_state(int state)
{
    if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && !connected_) {
        connected_ = true;
        sink_.state("connected", "");
        for (const RequestPad &pad : tee_pads_)
            capture_->force_keyframe(pad.element(), CaptureGraph::KeyframeFor::NewReceiver);
    } else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) {
        fail("ICE or DTLS with the SFU failed");
    }
}

void SfuPublication::fail(const std::string &why)
{
    if (over_)
        return;
    over_ = true;
    GST_WARNING("publication %s: %s", key_.c_str(), why.c_str());
    sink_.state("failed", why);
}

SfuPublication::~SfuPublication()
{
    if (!bin_)
        return;
    tee_pads_.clear();
    gst_element_set_locked_state(bin_.get(), TRUE);
    gst_element_set_state(bin_.get(), GST_STATE_NULL);
    if (GST_OBJECT_PARENT(bin_.get()))
        gst_bin_remove(pipeline_, bin_.get());
}

} // namespace callbox::media
