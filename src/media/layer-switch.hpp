// LayerSwitch: moves a call's video send branch from one shared encoder's tee to another's (the
// top and the low H.264 layer) at a keyframe of the new one, without a gap and on the same SSRC.
#pragma once

#include "media/gst-ptr.hpp"

#include <gst/gst.h>

#include <atomic>
#include <memory>
#include <string>

namespace callbox::media {

class CaptureGraph;

class LayerSwitch
{
public:
    // Starts moving the send branch that `from` (a tee's request pad) feeds to `to`: a new pad
    // on `to` drops its frames until a keyframe comes, and in front of that keyframe, on `to`'s
    // streaming thread, takes the branch's input over from `from` (unlinked then). The branch's
    // payloader stays, so its sequence numbers and timestamps (from the pipeline's running time,
    // which both layers share) go on; the caps that follow tell it the new size. A keyframe is
    // asked of `to`'s encoder through its keyframe gate. Null with `error` when `from` feeds
    // nothing or `to` gives no pad.
    static std::unique_ptr<LayerSwitch> start(const RequestPad &from, GstElement *to,
                                              CaptureGraph &capture, std::string &error);
    // Gives the pad back if the switch never happened (the call ended first).
    ~LayerSwitch() = default;
    LayerSwitch(const LayerSwitch &) = delete;
    LayerSwitch &operator=(const LayerSwitch &) = delete;

    bool done() const { return state_->done; }
    // Asks again for a keyframe (the gate may have dropped the first request); while not done.
    void remind(CaptureGraph &capture);
    // Once done: the new pad, which the caller keeps in place of `from` (and then releases).
    RequestPad take() { return std::move(pad_); }
    GstElement *target() const { return pad_.element(); }

private:
    struct State {
        PadPtr from;  // the old tee's pad
        PadPtr input; // the send branch's input, which `from` fed
        std::atomic<bool> done{false};
    };
    static GstPadProbeReturn on_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer state);
    LayerSwitch() = default;
    std::shared_ptr<State> state_;
    RequestPad pad_;
};

} // namespace callbox::media
