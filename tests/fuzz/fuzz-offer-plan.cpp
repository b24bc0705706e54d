// libFuzzer harness for the offer plan (media::plan_offer over GStreamer's SDP parser): an SDP
// offer in, invariants checked.
//
// For any text: no crash or undefined behaviour (built with ASan and UBSan), and the same plan
// twice. An error is given exactly when the plan has nothing the device can use. Each planned
// line carries its own m-line index; a line with a codec has a kind that fits it (Opus: audio;
// H.264, VP8: video) and an RTP payload type of 0-127 (RFC 3550's 7 bits) that its m-line lists
// and maps to that codec; a refused line has no payload type. Built and run by run-fuzz.sh.
#include "fuzz-check.hpp"
#include "media/offer-plan.hpp"

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include <cstdint>
#include <string>
#include <string_view>

using namespace callbox::media;
using callbox::fuzz::check;

namespace {

bool same(const PlannedLine &a, const PlannedLine &b)
{
    return a.mline == b.mline && a.mid == b.mid && a.kind == b.kind &&
           a.device_sends == b.device_sends && a.device_receives == b.device_receives &&
           a.codec == b.codec && a.payload_type == b.payload_type;
}

// Whether the m-line lists `pt` as a format and maps it (a=rtpmap) to `encoding`.
bool maps(const GstSDPMedia *media, int pt, std::string_view encoding)
{
    const std::string format = std::to_string(pt);
    bool listed = false;
    for (guint i = 0; i < gst_sdp_media_formats_len(media); ++i)
        listed = listed || format == gst_sdp_media_get_format(media, i);
    bool mapped = false;
    const std::string prefix = format + " ";
    for (guint i = 0; i < gst_sdp_media_attributes_len(media); ++i) {
        const GstSDPAttribute *a = gst_sdp_media_get_attribute(media, i);
        if (g_strcmp0(a->key, "rtpmap") != 0 || !a->value ||
            !g_str_has_prefix(a->value, prefix.c_str()))
            continue;
        const std::string_view rest(a->value + prefix.size());
        mapped =
            mapped || (rest.size() >= encoding.size() &&
                       g_ascii_strncasecmp(rest.data(), encoding.data(), encoding.size()) == 0 &&
                       (rest.size() == encoding.size() || rest[encoding.size()] == '/'));
    }
    return listed && mapped;
}

void check_line(std::string_view sdp, const GstSDPMessage *msg, const PlannedLine &line)
{
    if (line.codec == Codec::None) {
        check(line.payload_type == -1, "a refused line with a payload type", sdp);
        return;
    }
    check((line.codec == Codec::Opus) == (line.kind == MediaKind::Audio),
          "a codec on a line of the other kind", sdp);
    check(line.payload_type >= 0 && line.payload_type <= 127,
          "a payload type outside 0-127 (RTP has 7 bits for it)", sdp);
    check(line.mline < gst_sdp_message_medias_len(msg), "a line the offer does not have", sdp);
    check(
        maps(gst_sdp_message_get_media(msg, line.mline), line.payload_type, codec_name(line.codec)),
        "a payload type its m-line does not list or map to the codec", sdp);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    gst_init(nullptr, nullptr);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view sdp(reinterpret_cast<const char *>(data), size);
    std::string error;
    const OfferPlan plan = plan_offer(sdp, error);

    std::string error2;
    const OfferPlan again = plan_offer(sdp, error2);
    check(error == error2 && plan.lines.size() == again.lines.size(),
          "two plans of one offer differ", sdp);
    for (std::size_t i = 0; i < plan.lines.size(); ++i)
        check(same(plan.lines[i], again.lines[i]), "two plans of one offer differ", sdp);

    check(error.empty() == !plan.empty(), "an error exactly when nothing is usable", sdp);
    if (plan.lines.empty())
        return 0;
    // The plan has lines: the offer parsed, so the harness reads it too to compare.
    GstSDPMessage *msg = nullptr;
    gst_sdp_message_new(&msg);
    gst_sdp_message_parse_buffer(data, static_cast<guint>(size), msg);
    for (std::size_t i = 0; i < plan.lines.size(); ++i) {
        check(plan.lines[i].mline == i, "a line with another m-line's index", sdp);
        check_line(sdp, msg, plan.lines[i]);
    }
    gst_sdp_message_free(msg);
    return 0;
}
