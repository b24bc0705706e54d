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

// A call with the device has at most one m-line of each kind (audio, video, and one more,
// such as a data channel): what every browser offers for a call.
constexpr unsigned kMaxOfferLines = 3;

struct OfferPlan {
    std::vector<PlannedLine> lines;
    // More m-lines than the device takes (a bad message, not an unusable offer): `lines` is
    // empty and nothing may be built from it.
    bool over_limit = false;

    bool sends(Codec codec) const;
    bool empty() const;
};

// Reads an SDP offer; on a malformed offer, one with nothing usable, or one over the limit
// (over_limit), `error` says why.
OfferPlan plan_offer(std::string_view sdp, std::string &error);

// Whether the device tries a browser's ICE candidate ("candidate:… <address> <port> typ …").
// Refused, unless `ice_addresses` lists that very address: loopback, link-local, multicast and
// unspecified addresses (a LAN host has no business steering the device's checks there), and
// names instead of addresses — mDNS ".local" names included, which webrtcbin would look up
// with a resolver thread and network queries per candidate. A browser that hides its
// addresses behind such names still connects: the device answers its connectivity checks
// from the address they come from (a peer-reflexive candidate). `why` says what was wrong.
bool remote_candidate_allowed(std::string_view candidate,
                              const std::vector<std::string> &ice_addresses, std::string &why);

} // namespace callbox::media
