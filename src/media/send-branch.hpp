// The device's outgoing streams into a webrtcbin: a payloader branch per m-line tapped off a
// shared encoder's tee, the addresses webrtcbin gathers ICE candidates on, and its replies. Used by
// calls (webrtcbin answers) and by the publication into the SFU (webrtcbin offers).
#pragma once

#include "media/gst-ptr.hpp"
#include "media/offer-plan.hpp"

#define GST_USE_UNSTABLE_API
#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace callbox::media {

// Builds queue ! payloader (with `line`'s payload type) ! capsfilter into `bin`, links it to
// webrtcbin's sink_<mline> and then, playing, to `tee` (whose request pad joins `tee_pads`).
// Counts the video frames it sends into `video_frames`. The stream's SSRC (`ssrc`, or a random
// one) is named in the caps, so webrtcbin's offer or answer announces the SSRC the stream has.
bool add_send_branch(GstBin *bin, GstElement *webrtc, const PlannedLine &line, GstElement *tee,
                     std::atomic<std::uint64_t> &video_frames, std::vector<RequestPad> &tee_pads,
                     std::string &error, guint ssrc = 0);

// The description ("offer" or "answer") a create-offer or create-answer promise replied with;
// null when webrtcbin made none.
std::shared_ptr<GstWebRTCSessionDescription> promised_description(GstPromise *promise,
                                                                  const char *field);

// Sets up webrtcbin's ICE agent before it gathers: it gathers on `addresses` too (libnice
// skips loopback by itself), and never asks the router for a port (UPnP IGD is off).
void set_up_ice_agent(GstElement *webrtc, const std::vector<std::string> &addresses);

// Lets webrtcbin send each packet as soon as it is encoded (its per-stream clocksync does not
// wait for the running time plus the latency upstream of it), and keeps its bundle's rtpfunnel
// from sending the same SEGMENT downstream again at each switch between audio and video.
void tune_send_path(GstElement *webrtc);
// The rtpfunnel part of that: `funnel` passes on a SEGMENT or custom sticky event only when it
// differs from the one downstream already holds.
void send_changed_events_only(GstElement *funnel);

} // namespace callbox::media
