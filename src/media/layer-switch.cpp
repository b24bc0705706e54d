// LayerSwitch: the new tee pad's probe that waits for a keyframe and relinks the send branch there.
#include "media/layer-switch.hpp"

#include "media/capture-graph.hpp"

GST_DEBUG_CATEGORY_STATIC(layer_debug);
#define GST_CAT_DEFAULT layer_debug

namespace callbox::media {

std::unique_ptr<LayerSwitch> LayerSwitch::start(const RequestPad &from, GstElement *to,
                                                CaptureGraph &capture, std::string &error)
{
    GST_DEBUG_CATEGORY_INIT(layer_debug, "callbox-layer", 0, "callbox layer switches");
    std::unique_ptr<LayerSwitch> s(new LayerSwitch());
    s->state_ = std::make_shared<State>();
    s->state_->from = retain(from.get());
    s->state_->input = adopt(from ? gst_pad_get_peer(from.get()) : nullptr);
    if (!s->state_->input) {
        error = "the call's video branch is not linked";
        return nullptr;
    }
    // The pad stays unlinked until the keyframe: the tee (allow-not-linked) pushes into it all
    // the same, so the probe sees every frame; nothing reaches the call from it before.
    s->pad_ = RequestPad(to, "src_%u");
    if (!s->pad_) {
        error = "the layer's encoder gives no pad";
        return nullptr;
    }
    gst_pad_add_probe(s->pad_.get(), GST_PAD_PROBE_TYPE_BUFFER, on_buffer,
                      new std::shared_ptr<State>(s->state_),
                      [](gpointer p) { delete static_cast<std::shared_ptr<State> *>(p); });
    capture.force_keyframe(to, CaptureGraph::KeyframeFor::NewReceiver);
    return s;
}

void LayerSwitch::remind(CaptureGraph &capture)
{
    if (!done() && pad_)
        capture.force_keyframe(pad_.element(), CaptureGraph::KeyframeFor::Reminder);
}

GstPadProbeReturn LayerSwitch::on_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    State &s = **static_cast<std::shared_ptr<State> *>(data);
    if (GST_BUFFER_FLAG_IS_SET(GST_PAD_PROBE_INFO_BUFFER(info), GST_BUFFER_FLAG_DELTA_UNIT))
        return GST_PAD_PROBE_DROP; // the call keeps the old layer's frames meanwhile
    // A keyframe (with SPS and PPS in-band): the branch takes it next. The old tee's thread may be
    // pushing into the input now; that push ends, and its next finds the pad unlinked (the tee
    // allows that). GStreamer sends this pad's sticky events (stream-start, the new caps,
    // segment) to its new peer before the buffer, since the probe relinked it.
    gst_pad_unlink(s.from.get(), s.input.get());
    const bool linked = gst_pad_link(pad, s.input.get()) == GST_PAD_LINK_OK;
    if (!linked) { // put the old layer back: the call keeps what it had
        gst_pad_link(s.from.get(), s.input.get());
        GST_WARNING("cannot link the new layer to the call; it stays where it was");
    }
    GST_INFO("call's video moved to %s at a keyframe", GST_OBJECT_NAME(GST_OBJECT_PARENT(pad)));
    s.done = linked;
    return linked ? GST_PAD_PROBE_REMOVE : GST_PAD_PROBE_DROP;
}

} // namespace callbox::media
