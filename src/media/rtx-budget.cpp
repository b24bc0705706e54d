// limit_retransmissions(): the probes that hold a webrtcbin's retransmissions to their budget.
#include "media/rtx-budget.hpp"

#include <gst/rtp/rtp.h>

#include <cstring>
#include <memory>
#include <mutex>

GST_DEBUG_CATEGORY_STATIC(rtx_debug);
#define GST_CAT_DEFAULT rtx_debug

namespace callbox::media {

// rtprtxsend (GStreamer 1.22) answers every retransmission request it gets, and has no limit
// of its own but the size of its history. Chromium behind a link capped at 300 kbit/s asks for
// the packets the cap dropped again and again (about 60 requests per media packet sent,
// calls-layers, capped): unlimited, the device sent that one browser 17.6 Mbit/s, all but
// 300 kbit/s of it dropped.
struct RtxProbes {
    using LimiterPtr = std::shared_ptr<RtxLimiter>;
    static RtxLimiter &of(gpointer data) { return **static_cast<LimiterPtr *>(data); }
    static void release(gpointer data) { delete static_cast<LimiterPtr *>(data); }

    // The stream (SSRC) of an RTP packet; 0 for a buffer too short to be one.
    static guint32 ssrc_of(GstBuffer *buffer)
    {
        guint32 be = 0;
        return gst_buffer_extract(buffer, 8, &be, sizeof be) == sizeof be ? GUINT32_FROM_BE(be) : 0;
    }

    static GstPadProbeReturn on_media(GstPad *, GstPadProbeInfo *info, gpointer data)
    {
        RtxLimiter &l = of(data);
        std::lock_guard<std::mutex> hold(l.lock_);
        if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
            GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
            for (guint i = 0, n = gst_buffer_list_length(list); i < n; ++i)
                l.budget_.on_media_packets(ssrc_of(gst_buffer_list_get(list, i)), 1);
        } else {
            l.budget_.on_media_packets(ssrc_of(GST_PAD_PROBE_INFO_BUFFER(info)), 1);
        }
        return GST_PAD_PROBE_OK;
    }

    static GstPadProbeReturn on_request(GstPad *, GstPadProbeInfo *info, gpointer data)
    {
        GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
        if (GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_UPSTREAM ||
            !gst_event_has_name(event, "GstRTPRetransmissionRequest"))
            return GST_PAD_PROBE_OK;
        guint ssrc = 0, seqnum = 0;
        const GstStructure *request = gst_event_get_structure(event);
        gst_structure_get_uint(request, "ssrc", &ssrc);
        gst_structure_get_uint(request, "seqnum", &seqnum);
        RtxLimiter &l = of(data);
        std::lock_guard<std::mutex> hold(l.lock_);
        return l.budget_.take(ssrc, static_cast<std::uint16_t>(seqnum)) ? GST_PAD_PROBE_OK
                                                                        : GST_PAD_PROBE_DROP;
    }

    static void on_element(GstBin *, GstBin *, GstElement *element, gpointer data)
    {
        GstElementFactory *factory = gst_element_get_factory(element);
        if (!factory || std::strcmp(GST_OBJECT_NAME(factory), "rtprtxsend") != 0)
            return;
        GstPad *sink = gst_element_get_static_pad(element, "sink");
        GstPad *src = gst_element_get_static_pad(element, "src");
        if (sink && src) {
            const LimiterPtr &limiter = *static_cast<LimiterPtr *>(data);
            gst_pad_add_probe(sink,
                              static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                                           GST_PAD_PROBE_TYPE_BUFFER_LIST),
                              on_media, new LimiterPtr(limiter), release);
            gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_request,
                              new LimiterPtr(limiter), release);
            GST_DEBUG_OBJECT(element, "retransmissions limited to %.0f %% of each stream's packets",
                             RtxBudget::kShare * 100);
        }
        if (sink)
            gst_object_unref(sink);
        if (src)
            gst_object_unref(src);
    }
};

RtxLimiter::Counts RtxLimiter::counts() const
{
    std::lock_guard<std::mutex> hold(lock_);
    return {budget_.packets(), budget_.requests(), budget_.first_requests(), budget_.refused()};
}

void RtxLimiter::set_share(double share)
{
    std::lock_guard<std::mutex> hold(lock_);
    budget_.set_share(share);
}

std::shared_ptr<RtxLimiter> limit_retransmissions(GstElement *webrtc)
{
    GST_DEBUG_CATEGORY_INIT(rtx_debug, "callbox-rtx", 0, "callbox retransmission budget");
    auto limiter = std::make_shared<RtxLimiter>();
    g_signal_connect_data(
        webrtc, "deep-element-added", G_CALLBACK(RtxProbes::on_element),
        new RtxProbes::LimiterPtr(limiter),
        [](gpointer data, GClosure *) { RtxProbes::release(data); }, GConnectFlags(0));
    return limiter;
}

} // namespace callbox::media
