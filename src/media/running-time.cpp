// Restamping an encoder's output in running time (a pad probe that owns the segment it replaced).
#include "media/running-time.hpp"

namespace callbox::media {

namespace {

struct Timeline {
    GstSegment in; // the segment the upstream element sent; undefined until it sends one
    bool have = false;
};

// A time before the segment's start has a negative running time, which the plain segment from 0
// cannot hold: it becomes 0, the segment's first instant, rather than no time at all (a payloader
// given none stamps the packet with the previous one's time).
GstClockTime running(const GstSegment &segment, GstClockTime t)
{
    if (!GST_CLOCK_TIME_IS_VALID(t))
        return t;
    guint64 r = 0;
    const int sign = gst_segment_to_running_time_full(&segment, GST_FORMAT_TIME, t, &r);
    return sign > 0 ? r : sign < 0 ? 0 : GST_CLOCK_TIME_NONE;
}

GstPadProbeReturn restamp(GstPad *, GstPadProbeInfo *info, gpointer data)
{
    auto *timeline = static_cast<Timeline *>(data);
    if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
        GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
        if (GST_EVENT_TYPE(event) != GST_EVENT_SEGMENT)
            return GST_PAD_PROBE_OK;
        const GstSegment *in = nullptr;
        gst_event_parse_segment(event, &in);
        timeline->have = in->format == GST_FORMAT_TIME && in->rate == 1.0;
        if (!timeline->have)
            return GST_PAD_PROBE_OK; // left as it is; its buffers then pass unchanged too
        timeline->in = *in;
        GstSegment plain;
        gst_segment_init(&plain, GST_FORMAT_TIME);
        GstEvent *replaced = gst_event_new_segment(&plain);
        gst_event_set_seqnum(replaced, gst_event_get_seqnum(event));
        gst_event_unref(event);
        GST_PAD_PROBE_INFO_DATA(info) = replaced;
        return GST_PAD_PROBE_OK;
    }
    if (!timeline->have)
        return GST_PAD_PROBE_OK;
    GstBuffer *buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_BUFFER_PTS(buffer) = running(timeline->in, GST_BUFFER_PTS(buffer));
    GST_BUFFER_DTS(buffer) = running(timeline->in, GST_BUFFER_DTS(buffer));
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    return GST_PAD_PROBE_OK;
}

} // namespace

void stamp_in_running_time(GstPad *pad)
{
    gst_pad_add_probe(pad,
                      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
                                                   GST_PAD_PROBE_TYPE_BUFFER),
                      restamp, new Timeline,
                      [](gpointer data) { delete static_cast<Timeline *>(data); });
}

} // namespace callbox::media
