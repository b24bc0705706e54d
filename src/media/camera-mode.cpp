// choose_camera_mode(): reads the modes out of a camera's caps and ranks them against the
// configured size and rate.
#include "media/camera-mode.hpp"

#include "media/gst-ptr.hpp"

#include <gst/gst.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <vector>

namespace callbox::media {

namespace {

struct Fraction {
    int num = 0;
    int den = 1;
    double value() const { return den > 0 ? static_cast<double>(num) / den : 0; }
    bool at_least(unsigned fps) const { return std::int64_t{num} >= std::int64_t{fps} * den; }
};

// One structure of the caps, narrowed to the size and rate it would be asked for.
struct Candidate {
    CameraMode::Kind kind;
    std::string format;
    int width;
    int height;
    Fraction rate;
};

// A size field: a fixed value, or a range (a sensor behind a scaler) asked for `want` within it.
std::optional<int> size_for(const GValue *v, unsigned want)
{
    if (!v)
        return std::nullopt;
    if (G_VALUE_HOLDS_INT(v))
        return g_value_get_int(v);
    if (GST_VALUE_HOLDS_INT_RANGE(v)) {
        const int low = gst_value_get_int_range_min(v);
        const int high = gst_value_get_int_range_max(v);
        const int step = std::max(gst_value_get_int_range_step(v), 1);
        const int inside = std::clamp(static_cast<int>(want), low, high);
        return low + (inside - low + step - 1) / step * step <= high
                   ? low + (inside - low + step - 1) / step * step
                   : low + (inside - low) / step * step;
    }
    return std::nullopt;
}

// The rate to ask of a mode: the lowest one that reaches `want`, else the highest it has.
std::optional<Fraction> rate_for(const GValue *v, unsigned want)
{
    auto fraction = [](const GValue *f) {
        return Fraction{gst_value_get_fraction_numerator(f), gst_value_get_fraction_denominator(f)};
    };
    std::vector<Fraction> rates;
    // No rate in the caps (libcamera's device provider gives sizes only): the sensor runs at
    // the rate it is asked for.
    if (!v)
        return Fraction{static_cast<int>(want), 1};
    if (GST_VALUE_HOLDS_FRACTION(v)) {
        rates.push_back(fraction(v));
    } else if (GST_VALUE_HOLDS_LIST(v)) {
        for (guint i = 0; i < gst_value_list_get_size(v); ++i)
            if (const GValue *f = gst_value_list_get_value(v, i); GST_VALUE_HOLDS_FRACTION(f))
                rates.push_back(fraction(f));
    } else if (GST_VALUE_HOLDS_FRACTION_RANGE(v)) {
        const Fraction low = fraction(gst_value_get_fraction_range_min(v));
        const Fraction high = fraction(gst_value_get_fraction_range_max(v));
        if (!high.at_least(want))
            return high;
        return low.value() > want ? low : Fraction{static_cast<int>(want), 1};
    }
    std::optional<Fraction> best;
    for (const Fraction &r : rates) {
        if (r.num <= 0)
            continue;
        const bool reaches = r.at_least(want);
        if (!best || (reaches && (!best->at_least(want) || r.value() < best->value())) ||
            (!reaches && !best->at_least(want) && r.value() > best->value()))
            best = r;
    }
    return best;
}

std::string first_string(const GValue *v)
{
    if (v && G_VALUE_HOLDS_STRING(v))
        return g_value_get_string(v);
    if (v && GST_VALUE_HOLDS_LIST(v) && gst_value_list_get_size(v) > 0)
        return first_string(gst_value_list_get_value(v, 0));
    return "";
}

std::vector<Candidate> candidates(std::string_view text, unsigned width, unsigned height,
                                  unsigned framerate)
{
    std::vector<Candidate> out;
    CapsPtr caps(gst_caps_from_string(std::string(text).c_str()));
    if (!caps)
        return out;
    for (guint i = 0; i < gst_caps_get_size(caps.get()); ++i) {
        const GstStructure *s = gst_caps_get_structure(caps.get(), i);
        const bool raw = gst_structure_has_name(s, "video/x-raw");
        if (!raw && !gst_structure_has_name(s, "image/jpeg"))
            continue;
        auto w = size_for(gst_structure_get_value(s, "width"), width);
        auto h = size_for(gst_structure_get_value(s, "height"), height);
        auto rate = rate_for(gst_structure_get_value(s, "framerate"), framerate);
        if (!w || !h || !rate || *w <= 0 || *h <= 0)
            continue;
        out.push_back({raw ? CameraMode::Kind::Raw : CameraMode::Kind::Mjpeg,
                       raw ? first_string(gst_structure_get_value(s, "format")) : "", *w, *h,
                       *rate});
    }
    return out;
}

std::string rate_text(Fraction r)
{
    if (r.den == 1)
        return std::to_string(r.num);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", r.value());
    return buf;
}

} // namespace

CameraMode choose_camera_mode(std::string_view caps, unsigned width, unsigned height,
                              unsigned framerate, bool hardware_jpeg)
{
    const std::vector<Candidate> all = candidates(caps, width, height, framerate);
    auto reaches = [&](const Candidate &c) {
        return c.width >= static_cast<int>(width) && c.height >= static_cast<int>(height) &&
               c.rate.at_least(framerate);
    };
    const Candidate *best = nullptr;
    // The smallest reaching mode of a kind: the least to scale down and to carry over USB.
    auto smallest_reaching = [&](CameraMode::Kind kind) {
        for (const Candidate &c : all)
            if (c.kind == kind && reaches(c) &&
                (!best ||
                 std::int64_t{c.width} * c.height < std::int64_t{best->width} * best->height ||
                 (c.width == best->width && c.height == best->height &&
                  c.rate.value() < best->rate.value())))
                best = &c;
    };
    smallest_reaching(CameraMode::Kind::Raw);
    if (!best)
        smallest_reaching(CameraMode::Kind::Mjpeg);
    const bool reached = best != nullptr;
    if (!best) {
        // The most of the asked picture: keeping the rate first (motion matters more in a call
        // than detail), then pixels a second up to what was asked, then raw, then smaller.
        auto rank = [&](const Candidate &c) {
            const double pixels = std::min(c.width, static_cast<int>(width)) *
                                  static_cast<double>(std::min(c.height, static_cast<int>(height)));
            const double rate = std::min(c.rate.value(), static_cast<double>(framerate));
            return std::make_tuple(c.rate.at_least(framerate), pixels * rate,
                                   c.kind == CameraMode::Kind::Raw,
                                   -static_cast<double>(c.width) * c.height);
        };
        for (const Candidate &c : all)
            if (!best || rank(c) > rank(*best))
                best = &c;
    }
    CameraMode mode;
    if (!best) {
        mode.summary = "no raw or MJPEG mode in the camera's caps";
        return mode;
    }
    mode.kind = best->kind;
    mode.format = best->format;
    mode.width = best->width;
    mode.height = best->height;
    mode.fps_num = best->rate.num;
    mode.fps_den = best->rate.den;
    mode.reaches = reached;
    mode.graph_framerate =
        best->rate.at_least(framerate)
            ? framerate
            : std::max(1u, static_cast<unsigned>(best->rate.num / std::max(best->rate.den, 1)));
    const std::string size = std::to_string(mode.width) + "x" + std::to_string(mode.height);
    const std::string rate = std::to_string(mode.fps_num) + "/" + std::to_string(mode.fps_den);
    const bool raw = mode.kind == CameraMode::Kind::Raw;
    mode.caps = std::string(raw ? "video/x-raw" : "image/jpeg") +
                (raw && !mode.format.empty() ? ",format=" + mode.format : "") +
                ",width=" + std::to_string(mode.width) + ",height=" + std::to_string(mode.height) +
                ",framerate=" + rate;
    mode.summary = (raw ? "raw " + (mode.format.empty() ? "" : mode.format + " ") : "MJPEG ") +
                   size + "@" + rate_text(best->rate);
    if (!raw)
        mode.summary += hardware_jpeg ? " decoded by v4l2jpegdec" : " decoded by jpegdec";
    if (!reached)
        mode.summary = "nearest smaller mode: " + mode.summary + " (asked " +
                       std::to_string(width) + "x" + std::to_string(height) + "@" +
                       std::to_string(framerate) + ")";
    return mode;
}

} // namespace callbox::media
