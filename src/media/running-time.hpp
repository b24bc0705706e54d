// Restamping an encoder's output in running time, so every encoder's stream has the same segment.
#pragma once

#include <gst/gst.h>

namespace callbox::media {

// What passes `pad` downstream is restamped: each SEGMENT (TIME) becomes the plain segment that
// starts at 0, and each buffer's PTS and DTS the running time they had in the segment replaced
// (0 for a time before its start).
// Running times stay what they were, so RTP and RTCP timestamps do too; what changes is that
// the encoders' segments become equal. x264enc 1.22 starts its segment 1000 hours in (it keeps
// DTS positive with B-frames; callbox has none), opusenc and vp8enc at 0, and webrtcbin's bundle
// rtpfunnel forwards a different segment at each switch between audio and video.
void stamp_in_running_time(GstPad *pad);

} // namespace callbox::media
