// Send branches: the payloader and caps per codec, the order that makes a branch on a running
// tee negotiate (playing before linked), the ICE agent's set-up and webrtcbin's send clock.
#include "media/send-branch.hpp"

#include "media/gst-elements.hpp"

#include <cstring>

GST_DEBUG_CATEGORY_STATIC(send_debug);
#define GST_CAT_DEFAULT send_debug

namespace callbox::media {

namespace {

// The caps webrtcbin gets for what the device sends on `line`, with the line's payload type.
CapsPtr send_caps(const PlannedLine &line)
{
    if (line.kind == MediaKind::Video)
        return CapsPtr(gst_caps_new_simple(
            "application/x-rtp", "media", G_TYPE_STRING, "video", "encoding-name", G_TYPE_STRING,
            std::string(codec_name(line.codec)).c_str(), "payload", G_TYPE_INT, line.payload_type,
            "clock-rate", G_TYPE_INT, 90000, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE,
            "rtcp-fb-nack", G_TYPE_BOOLEAN, TRUE, "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE,
            nullptr));
    // RFC 7587: Opus is always "opus/48000/2" in the rtpmap. Without encoding-params here, an
    // offer made before the payloader's own caps arrive says "OPUS/48000", which Janus 1.1 does
    // not take for Opus: it rejects the audio line (and the device's publication never connected).
    return CapsPtr(gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "audio",
                                       "encoding-name", G_TYPE_STRING, "OPUS", "payload",
                                       G_TYPE_INT, line.payload_type, "clock-rate", G_TYPE_INT,
                                       48000, "encoding-params", G_TYPE_STRING, "2", nullptr));
}

const char *payloader_for(Codec codec)
{
    return codec == Codec::H264 ? "rtph264pay" : codec == Codec::VP8 ? "rtpvp8pay" : "rtpopuspay";
}

// On a send branch's queue: ALLOCATION and DRAIN are answered here, never queued (below).
GstPadProbeReturn answer_serialized_query(GstPad *, GstPadProbeInfo *info, gpointer)
{
    switch (GST_QUERY_TYPE(GST_PAD_PROBE_INFO_QUERY(info))) {
    case GST_QUERY_ALLOCATION:
    case GST_QUERY_DRAIN:
        return GST_PAD_PROBE_HANDLED; // a query handled in a probe answers TRUE
    default:
        return GST_PAD_PROBE_OK;
    }
}

GstPadProbeReturn count_buffer(GstPad *, GstPadProbeInfo *, gpointer counter)
{
    ++*static_cast<std::atomic<std::uint64_t> *>(counter);
    return GST_PAD_PROBE_OK;
}

} // namespace

bool add_send_branch(GstBin *bin, GstElement *webrtc, const PlannedLine &line, GstElement *tee,
                     std::atomic<std::uint64_t> &video_frames, std::vector<RequestPad> &tee_pads,
                     std::string &error, guint ssrc)
{
    // Named for what it sends: its thread is then "send-video0:src" (or "send-audio1:src") in
    // top, perf and the benchmarks' per-thread figures, not one more "queueN:src".
    const std::string queue_name =
        (line.kind == MediaKind::Video ? "send-video" : "send-audio") + std::to_string(line.mline);
    ElementPtr queue = make_element("queue", queue_name.c_str(), error);
    ElementPtr pay = queue ? make_element(payloader_for(line.codec), nullptr, error) : nullptr;
    ElementPtr filter = pay ? make_element("capsfilter", nullptr, error) : nullptr;
    if (!filter)
        return false;
    g_object_set(queue.get(), "max-size-buffers", 0, "max-size-bytes", 0, "max-size-time",
                 static_cast<guint64>(300 * GST_MSECOND), "leaky", 2, nullptr);
    // A leaky queue drops buffers but holds a serialized query (the shared encoder's
    // ALLOCATION or DRAIN when it renegotiates) until its own thread has passed it on, and that
    // thread waits in webrtcbin's pad block until the call's transport is up: a caller whose ICE
    // never connects (a WHEP viewer that vanished, a bad offer) held the shared encoder, and so
    // the camera, for every call (GStreamer 1.22; seen as 0.3 camera frames/s after one such
    // offer). The branch answers those queries itself: encoded buffers need no pool of its own.
    gst_pad_add_probe(static_pad(queue.get(), "sink").get(), GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
                      answer_serialized_query, nullptr, nullptr);
    // The SSRC is chosen here and named in the caps, so the description announces the SSRC the
    // stream really has even when it is made before the branch's first buffer (an encoder
    // started for this call): otherwise webrtcbin announces one of its own, and Firefox, which
    // filters by the announced SSRCs, drops the whole stream (as Janus, which tells bundled
    // streams apart by them, would).
    if (ssrc == 0)
        ssrc = g_random_int_range(1, G_MAXINT32);
    g_object_set(pay.get(), "pt", static_cast<guint>(line.payload_type), "ssrc", ssrc, nullptr);
    if (line.codec == Codec::H264)
        g_object_set(pay.get(), "config-interval", -1, "aggregate-mode", 1 /* zero-latency */,
                     nullptr);
    else if (line.codec == Codec::VP8)
        g_object_set(pay.get(), "picture-id-mode", 2 /* 15 bit */, nullptr);

    CapsPtr caps = send_caps(line);
    gst_caps_set_simple(caps.get(), "ssrc", G_TYPE_UINT, ssrc, nullptr);
    g_object_set(filter.get(), "caps", caps.get(), nullptr);
    gst_bin_add_many(bin, queue.get(), pay.get(), filter.get(), nullptr);
    gst_element_link_many(queue.get(), pay.get(), filter.get(), nullptr);

    // Named after the m-line it serves, so webrtcbin pairs it with that line of the offer.
    // webrtcbin keeps the pad until the bin goes.
    const PadPtr sink_pad = adopt(
        gst_element_request_pad_simple(webrtc, ("sink_" + std::to_string(line.mline)).c_str()));
    if (!sink_pad ||
        gst_pad_link(static_pad(filter.get(), "src").get(), sink_pad.get()) != GST_PAD_LINK_OK) {
        error = "cannot link the device's stream into webrtcbin";
        return false;
    }
    GstWebRTCRTPTransceiver *transceiver = nullptr;
    g_object_get(sink_pad.get(), "transceiver", &transceiver, nullptr);
    if (GObjectPtr<GstWebRTCRTPTransceiver> owned = adopt(transceiver))
        g_object_set(owned.get(), "codec-preferences", caps.get(), nullptr);
    if (line.kind == MediaKind::Video)
        gst_pad_add_probe(static_pad(pay.get(), "sink").get(), GST_PAD_PROBE_TYPE_BUFFER,
                          count_buffer, &video_frames, nullptr);

    // The branch plays before it is linked to the running tee, or caps never arrive.
    for (GstElement *e : {filter.get(), pay.get(), queue.get()})
        gst_element_sync_state_with_parent(e);
    PadPtr ghost = sink(gst_ghost_pad_new(nullptr, static_pad(queue.get(), "sink").get()));
    gst_pad_set_active(ghost.get(), TRUE);
    gst_element_add_pad(GST_ELEMENT(bin), ghost.get());
    RequestPad tee_pad(tee, "src_%u");
    const bool linked = tee_pad && gst_pad_link(tee_pad.get(), ghost.get()) == GST_PAD_LINK_OK;
    tee_pads.push_back(std::move(tee_pad));
    if (!linked) {
        error = "cannot link the shared encoder to the call";
        return false;
    }
    return true;
}

std::shared_ptr<GstWebRTCSessionDescription> promised_description(GstPromise *promise,
                                                                  const char *field)
{
    const GstStructure *reply = gst_promise_get_reply(promise);
    GstWebRTCSessionDescription *description = nullptr;
    if (reply)
        gst_structure_get(reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &description, nullptr);
    return {description, gst_webrtc_session_description_free};
}

void set_up_ice_agent(GstElement *webrtc, const std::vector<std::string> &addresses)
{
    GST_DEBUG_CATEGORY_INIT(send_debug, "callbox-send", 0, "callbox send branches");
    GstWebRTCICE *raw = nullptr;
    g_object_get(webrtc, "ice-agent", &raw, nullptr);
    GObjectPtr<GstWebRTCICE> ice = adopt(raw);
    // libnice 0.1.21 starts every agent with UPnP IGD on: each call's gathering multicasts SSDP
    // on the LAN and asks the home router to forward a port from the internet to the device.
    // An appliance must not open its owner's router by itself (docs/remote-access.md says how
    // to reach the box from outside); webrtcbin 1.22 does not set it, but its ICE object
    // (GstWebRTCNice) hands out the NiceAgent, whose "upnp" may change until gathering starts.
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(ice.get()), "agent")) {
        GObject *agent = nullptr;
        g_object_get(ice.get(), "agent", &agent, nullptr);
        if (GObjectPtr<GObject> owned = adopt(agent);
            owned && g_object_class_find_property(G_OBJECT_GET_CLASS(agent), "upnp"))
            g_object_set(agent, "upnp", FALSE, nullptr);
    }
    for (const auto &address : addresses) {
        gboolean ok = FALSE;
        g_signal_emit_by_name(ice.get(), "add-local-ip-address", address.c_str(), &ok);
        if (!ok)
            GST_WARNING("cannot gather ICE candidates on %s", address.c_str());
    }
}

namespace {

// Whether `event` (a SEGMENT or a custom sticky event) equals what `peer` already holds.
bool already_held(GstPad *peer, GstEvent *event)
{
    const GstEventType type = GST_EVENT_TYPE(event);
    bool same = false;
    for (guint i = 0; !same; ++i) {
        GstEvent *held = gst_pad_get_sticky_event(peer, type, i);
        if (!held)
            break;
        if (type == GST_EVENT_SEGMENT) {
            const GstSegment *a = nullptr, *b = nullptr;
            gst_event_parse_segment(event, &a);
            gst_event_parse_segment(held, &b);
            same = gst_segment_is_equal(a, b);
        } else {
            same = gst_structure_is_equal(gst_event_get_structure(event),
                                          gst_event_get_structure(held));
        }
        gst_event_unref(held);
    }
    return same;
}

// rtpfunnel 1.22 (gst_rtp_funnel_forward_segment) sends its input's SEGMENT and custom sticky
// events downstream again whenever a packet comes from another input than the last one. With
// audio and video bundled that is twice per Opus packet, each time through rtpsession,
// rtprtxsend, srtpenc, the transport's funnel and nicesink: 1,020 events in a 10 s call
// (docs/benchmarks.md, "A call's send chain without repeated events"). With every encoder's
// output in one segment (stamp_in_running_time()) the events are equal to the ones the next
// element holds, which they change nothing in, so they are marked handled instead of sent: 2.
GstPadProbeReturn skip_repeated_events(GstPad *pad, GstPadProbeInfo *info, gpointer)
{
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
    const GstEventType type = GST_EVENT_TYPE(event);
    if (type != GST_EVENT_SEGMENT && type != GST_EVENT_CUSTOM_DOWNSTREAM_STICKY)
        return GST_PAD_PROBE_OK;
    PadPtr peer = adopt(gst_pad_get_peer(pad));
    if (!peer || !already_held(peer.get(), event)) {
        GST_LOG_OBJECT(pad, "%" GST_PTR_FORMAT " changed: passed on", event);
        return GST_PAD_PROBE_OK;
    }
    gst_event_unref(event); // handled: the pad marks it as received and sends nothing
    return GST_PAD_PROBE_HANDLED;
}

} // namespace

void send_changed_events_only(GstElement *funnel)
{
    gst_pad_add_probe(static_pad(funnel, "src").get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                      skip_repeated_events, nullptr, nullptr);
}

// Two changes to what webrtcbin 1.22 builds for the streams it sends.
//
// It puts a clocksync with sync=true in front of every stream (_connect_input_stream), which
// holds each buffer until its running time plus the latency upstream of it. That latency is the
// camera's: one frame (33 ms at 30 fps, videotestsrc and v4l2src report it) once the pipeline's
// latency is worked out again, which a call that receives makes happen (clocksync logs
// "Configured upstream latency = 0:00:00.033333333"). So a two-way call held every frame until a
// frame's time after its capture: device → browser 21.7 ms slower than a viewer call's on a quiet
// machine, the frame's last packet received → shown the same in both (docs/benchmarks.md,
// "Two-way against viewer calls"). Everything the device sends is live and timed by its capture,
// so nothing is gained by waiting: sync off.
//
// Its bundle's rtpfunnel repeats events, above: send_changed_events_only().
void tune_send_path(GstElement *webrtc)
{
    g_signal_connect(webrtc, "deep-element-added",
                     G_CALLBACK(+[](GstBin *, GstBin *sub_bin, GstElement *element, gpointer self) {
                         GstElementFactory *f = gst_element_get_factory(element);
                         if (!f || GST_ELEMENT(sub_bin) != self)
                             return;
                         if (std::strcmp(GST_OBJECT_NAME(f), "clocksync") == 0)
                             g_object_set(element, "sync", FALSE, nullptr);
                         else if (std::strcmp(GST_OBJECT_NAME(f), "rtpfunnel") == 0)
                             send_changed_events_only(element);
                     }),
                     webrtc);
}

} // namespace callbox::media
