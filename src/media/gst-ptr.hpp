// RAII owners for GStreamer handles, on top of util/glib-ptr.hpp: elements and pads
// (GObjectPtr, sink() for floating ones), mini objects (caps, promises, buffers), request
// pads given back to their element, and pipelines stopped before they are freed.
#pragma once

#include "util/glib-ptr.hpp"

#include <gst/gst.h>

#include <utility>

namespace callbox::media {

using ElementPtr = GObjectPtr<GstElement>;
using PadPtr = GObjectPtr<GstPad>;
using BusPtr = GObjectPtr<GstBus>;

struct MiniObjectUnref {
    template <typename T> void operator()(T *object) const
    {
        if (object)
            gst_mini_object_unref(GST_MINI_OBJECT_CAST(object));
    }
};
// Owns one reference to a GstMiniObject (GstCaps, GstPromise, GstMessage, GstBuffer, ...).
template <typename T> using MiniPtr = std::unique_ptr<T, MiniObjectUnref>;
using CapsPtr = MiniPtr<GstCaps>;
using PromisePtr = MiniPtr<GstPromise>;

struct StopAndUnref {
    void operator()(GstElement *pipeline) const
    {
        if (pipeline) {
            gst_element_set_state(pipeline, GST_STATE_NULL);
            gst_object_unref(pipeline);
        }
    }
};
// Owns a top-level pipeline: stopped (its streaming threads joined), then unreffed.
using PipelinePtr = std::unique_ptr<GstElement, StopAndUnref>;

inline PipelinePtr new_pipeline(const char *name)
{
    return PipelinePtr(GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new(name))));
}

// The static pad `name` of `element` (a new reference), or null.
inline PadPtr static_pad(GstElement *element, const char *name)
{
    return adopt(gst_element_get_static_pad(element, name));
}

// A pad requested from an element (a tee's src_%u, a mixer's sink_%u, webrtcbin's
// sink_%u): unlinked and given back to the element when its owner goes away.
class RequestPad
{
public:
    RequestPad() = default;
    // Requests `name_template` from `element`; check with bool() whether it came.
    RequestPad(GstElement *element, const char *name_template)
        : element_(retain(element)),
          pad_(adopt(gst_element_request_pad_simple(element, name_template)))
    {
    }
    RequestPad(RequestPad &&) noexcept = default;
    RequestPad &operator=(RequestPad &&other) noexcept
    {
        if (this != &other) {
            reset();
            element_ = std::move(other.element_);
            pad_ = std::move(other.pad_);
        }
        return *this;
    }
    ~RequestPad() { reset(); }

    GstPad *get() const { return pad_.get(); }
    GstElement *element() const { return element_.get(); }
    explicit operator bool() const { return pad_ != nullptr; }

    // Unlinks the pad and gives it back now.
    void reset()
    {
        if (!pad_)
            return;
        if (PadPtr peer = adopt(gst_pad_get_peer(pad_.get()))) {
            if (GST_PAD_IS_SRC(pad_.get()))
                gst_pad_unlink(pad_.get(), peer.get());
            else
                gst_pad_unlink(peer.get(), pad_.get());
        }
        gst_element_release_request_pad(element_.get(), pad_.get());
        pad_.reset();
        element_.reset();
    }

private:
    ElementPtr element_;
    PadPtr pad_;
};

} // namespace callbox::media
