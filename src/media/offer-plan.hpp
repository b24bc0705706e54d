// OfferPlan: what the device will do with each m-line of a browser's SDP offer (pure logic).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace callbox::media {

enum class MediaKind { Audio, Video };
enum class Codec { None, H264, VP8, Opus };

std::string_view codec_name(Codec codec);

struct PlannedLine {
    unsigned mline = 0;
    std::string mid;
    MediaKind kind = MediaKind::Video;
    bool device_sends = false;    // the offer lets the browser receive
    bool device_receives = false; // the offer says the browser sends
    Codec codec = Codec::None;    // None: the line is refused (no codec we can use)
    int payload_type = -1;        // the browser's pt for that codec
};

struct OfferPlan {
    std::vector<PlannedLine> lines;

    bool sends(Codec codec) const;
    bool empty() const;
};

// Reads an SDP offer; on a malformed offer or one with nothing usable, `error` says why.
OfferPlan plan_offer(std::string_view sdp, std::string &error);

} // namespace callbox::media
