// OfferPlan: codec choice per m-line (H.264 constrained baseline with packetization-mode 1
// first, then VP8; Opus for audio) and directions, from the browser's offer.
#include "media/offer-plan.hpp"

#include "util/glib-ptr.hpp"

#include <gio/gio.h>
#include <gst/sdp/sdp.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>

namespace callbox::media {

namespace {

struct Format {
    int pt;
    std::string encoding; // lower case, e.g. "h264"
    std::string fmtp;     // lower case parameters
};

std::string lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(g_ascii_tolower(c)); });
    return out;
}

// An RTP payload type: 0 to 127 (RFC 3550 gives it 7 bits) in decimal digits without a leading
// zero, nothing else ("111x", "+96", " 96", "0111", "300" are not one: an answer names the
// payload type as the offer wrote it, so "0111" and "111" must not be taken for each other).
std::optional<int> payload_type(std::string_view text)
{
    int pt = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pt);
    if (ec != std::errc() || end != text.data() + text.size() || text.front() == '-' || pt > 127 ||
        (text.front() == '0' && text.size() > 1))
        return std::nullopt;
    return pt;
}

// The m-line's RTP formats with their a=rtpmap encoding and a=fmtp parameters; formats and
// attributes whose payload type is not one are left out.
std::vector<Format> formats(const GstSDPMedia *media)
{
    std::vector<Format> out;
    for (guint i = 0; i < gst_sdp_media_formats_len(media); ++i)
        if (auto pt = payload_type(gst_sdp_media_get_format(media, i)))
            out.push_back({*pt, {}, {}});
    for (guint i = 0; i < gst_sdp_media_attributes_len(media); ++i) {
        const GstSDPAttribute *a = gst_sdp_media_get_attribute(media, i);
        if (!a->value || (std::strcmp(a->key, "rtpmap") != 0 && std::strcmp(a->key, "fmtp") != 0))
            continue;
        std::string_view v(a->value);
        std::size_t space = v.find(' ');
        if (space == std::string_view::npos)
            continue;
        auto pt = payload_type(v.substr(0, space));
        for (Format &f : out) {
            if (!pt || f.pt != *pt)
                continue;
            std::string rest = lower(v.substr(space + 1));
            if (a->key[0] == 'r')
                f.encoding = rest.substr(0, rest.find('/'));
            else
                f.fmtp = rest;
        }
    }
    return out;
}

bool has_attribute(const GstSDPMedia *media, const char *key)
{
    for (guint i = 0; i < gst_sdp_media_attributes_len(media); ++i)
        if (std::strcmp(gst_sdp_media_get_attribute(media, i)->key, key) == 0)
            return true;
    return false;
}

bool has_param(const std::string &fmtp, std::string_view param)
{
    std::size_t pos = 0;
    while ((pos = fmtp.find(param, pos)) != std::string::npos) {
        if (pos == 0 || fmtp[pos - 1] == ';' || fmtp[pos - 1] == ' ')
            return true;
        pos += param.size();
    }
    return false;
}

std::optional<Format> pick_video(const std::vector<Format> &fs)
{
    // Constrained baseline (42e0xx) with packetization-mode=1: what webrtcbin accepts for
    // x264's stream and what every browser, iOS Safari included, decodes.
    for (const Format &f : fs)
        if (f.encoding == "h264" && has_param(f.fmtp, "packetization-mode=1") &&
            has_param(f.fmtp, "profile-level-id=42e0"))
            return Format{f.pt, "h264", f.fmtp};
    for (const Format &f : fs)
        if (f.encoding == "vp8")
            return f;
    return std::nullopt;
}

std::optional<Format> pick_audio(const std::vector<Format> &fs)
{
    for (const Format &f : fs)
        if (f.encoding == "opus")
            return f;
    return std::nullopt;
}

// Why an offer has more m-lines than a call with the device takes, or nullptr.
const char *over_limit(const GstSDPMessage *msg)
{
    const guint count = gst_sdp_message_medias_len(msg);
    if (count > kMaxOfferLines)
        return "the offer has more m-lines than a call with the device takes (at most one "
               "audio, one video and one other line)";
    unsigned audio = 0, video = 0;
    for (guint i = 0; i < count; ++i) {
        const char *kind = gst_sdp_media_get_media(gst_sdp_message_get_media(msg, i));
        audio += kind && std::strcmp(kind, "audio") == 0;
        video += kind && std::strcmp(kind, "video") == 0;
    }
    if (audio > 1 || video > 1)
        return "the offer has more than one audio or video m-line; a call with the device has "
               "one of each";
    return nullptr;
}

} // namespace

std::string_view codec_name(Codec codec)
{
    switch (codec) {
    case Codec::H264:
        return "H264";
    case Codec::VP8:
        return "VP8";
    case Codec::Opus:
        return "OPUS";
    case Codec::None:
        break;
    }
    return "none";
}

bool OfferPlan::sends(Codec codec) const
{
    return std::any_of(lines.begin(), lines.end(), [codec](const PlannedLine &l) {
        return l.device_sends && l.codec == codec;
    });
}

bool OfferPlan::empty() const
{
    return std::none_of(lines.begin(), lines.end(),
                        [](const PlannedLine &l) { return l.codec != Codec::None; });
}

OfferPlan plan_offer(std::string_view sdp, std::string &error)
{
    OfferPlan plan;
    GstSDPMessage *msg = nullptr;
    gst_sdp_message_new(&msg);
    const Owned<GstSDPMessage, gst_sdp_message_free> owner(msg);
    // gst_sdp_message_parse_buffer() takes no empty buffer (a GLib critical): an empty offer is
    // refused here.
    if (sdp.empty() ||
        gst_sdp_message_parse_buffer(reinterpret_cast<const guint8 *>(sdp.data()),
                                     static_cast<guint>(sdp.size()), msg) != GST_SDP_OK ||
        gst_sdp_message_medias_len(msg) == 0) {
        error = "the offer is not an SDP description with media";
        return plan;
    }
    if (const char *why = over_limit(msg)) {
        plan.over_limit = true;
        error = why;
        return plan;
    }
    for (guint i = 0; i < gst_sdp_message_medias_len(msg); ++i) {
        const GstSDPMedia *m = gst_sdp_message_get_media(msg, i);
        PlannedLine line;
        line.mline = i;
        const char *mid = gst_sdp_media_get_attribute_val(m, "mid");
        line.mid = mid ? mid : std::to_string(i);
        std::string_view kind = gst_sdp_media_get_media(m) ? gst_sdp_media_get_media(m) : "";
        if (kind != "audio" && kind != "video") {
            plan.lines.push_back(line); // data channels and the like: refused
            continue;
        }
        line.kind = kind == "audio" ? MediaKind::Audio : MediaKind::Video;
        bool sendonly = has_attribute(m, "sendonly");
        bool recvonly = has_attribute(m, "recvonly");
        bool inactive = has_attribute(m, "inactive");
        // Port 0 rejects a line, except one marked bundle-only: Firefox (with max-bundle)
        // offers every line after the first so, to be carried on the first line's transport.
        const bool rejected = gst_sdp_media_get_port(m) == 0 && !has_attribute(m, "bundle-only");
        if (!rejected && !inactive) {
            line.device_sends = !sendonly;
            line.device_receives = !recvonly;
        }
        auto fs = formats(m);
        auto chosen = line.kind == MediaKind::Video ? pick_video(fs) : pick_audio(fs);
        if (chosen) {
            line.payload_type = chosen->pt;
            line.codec = chosen->encoding == "h264"  ? Codec::H264
                         : chosen->encoding == "vp8" ? Codec::VP8
                                                     : Codec::Opus;
        }
        plan.lines.push_back(line);
    }
    if (plan.empty())
        error = "the offer has no audio or video the device can use (it needs H.264 constrained "
                "baseline with packetization-mode=1, VP8, or Opus)";
    return plan;
}

namespace {

GObjectPtr<GInetAddress> inet_address(const std::string &text)
{
    return adopt(g_inet_address_new_from_string(text.c_str()));
}

} // namespace

bool remote_candidate_allowed(std::string_view candidate,
                              const std::vector<std::string> &ice_addresses, std::string &why)
{
    // foundation component transport priority address port "typ" type …
    std::vector<std::string> fields;
    for (std::size_t pos = 0; pos < candidate.size() && fields.size() < 6;) {
        const std::size_t end = std::min(candidate.find(' ', pos), candidate.size());
        if (end > pos)
            fields.emplace_back(candidate.substr(pos, end - pos));
        pos = end + 1;
    }
    if (fields.size() < 6) {
        why = "not a candidate";
        return false;
    }
    const std::string &text = fields[4];
    const auto address = inet_address(text);
    if (!address) {
        why = "a name, not an address: " + text;
        return false;
    }
    GInetAddress *a = address.get();
    if (!g_inet_address_get_is_loopback(a) && !g_inet_address_get_is_link_local(a) &&
        !g_inet_address_get_is_multicast(a) && !g_inet_address_get_is_any(a))
        return true;
    for (const std::string &allowed : ice_addresses)
        if (const auto listed = inet_address(allowed);
            listed && g_inet_address_equal(a, listed.get()))
            return true;
    why = "a loopback, link-local, multicast or unspecified address: " + text;
    return false;
}

} // namespace callbox::media
