// Seven-segment wall clock for the test camera: the layout both the drawing and the reading
// use, and the two. Replaces clockoverlay, whose text rendering (pango, cairo, harfbuzz,
// freetype) cost a call 3.6 MiB of RSS (docs/benchmarks.md, "Memory with the test camera").
#include "media/wall-clock-digits.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>

namespace callbox::media {

namespace {

constexpr std::uint8_t kLit = 235;

struct Rect {
    int x, y, w, h;
};

// The text's geometry in a frame: glyph height h, segment thickness t, digit width w.
struct Layout {
    int h, t, w, gap, colon_w;
    int x0, y0; // the first glyph's top left
    Rect box;   // the darkened background

    static std::optional<Layout> of(const I420View &f, std::string_view text)
    {
        Layout l{};
        l.h = (f.height / 10) & ~1;
        if (l.h < 16 || text.empty())
            return std::nullopt;
        l.t = std::max(2, l.h / 8);
        l.w = l.h / 2;
        l.gap = l.t;
        l.colon_w = l.t;
        int width = 0;
        for (char c : text)
            width += (c == ':' ? l.colon_w : l.w) + l.gap;
        width -= l.gap;
        const int pad = 2 * l.t;
        l.x0 = ((f.width - width) / 2) & ~1;
        l.y0 = ((f.height - l.h) / 2) & ~1;
        l.box = {l.x0 - pad, l.y0 - pad, width + 2 * pad, l.h + 2 * pad};
        if (l.box.x < 0 || l.box.y < 0 || l.box.x + l.box.w > f.width ||
            l.box.y + l.box.h > f.height)
            return std::nullopt;
        return l;
    }

    // Segment s of a digit whose top left is (x, y).
    Rect segment(int s, int x, int y) const
    {
        const int half = h / 2;
        switch (s) {
        case 0:
            return {x, y, w, t};
        case 1:
            return {x + w - t, y, t, half};
        case 2:
            return {x + w - t, y + half, t, h - half};
        case 3:
            return {x, y + h - t, w, t};
        case 4:
            return {x, y + half, t, h - half};
        case 5:
            return {x, y, t, half};
        default:
            return {x, y + half - t / 2, w, t};
        }
    }

    // A point inside segment s of the digit at (x, y) that no other segment covers.
    std::pair<int, int> centre_of(int s, int x, int y) const
    {
        switch (s) {
        case 0:
            return {x + w / 2, y + t / 2};
        case 1:
            return {x + w - t / 2 - 1, y + h / 4};
        case 2:
            return {x + w - t / 2 - 1, y + 3 * h / 4};
        case 3:
            return {x + w / 2, y + h - t / 2 - 1};
        case 4:
            return {x + t / 2, y + 3 * h / 4};
        case 5:
            return {x + t / 2, y + h / 4};
        default:
            return {x + w / 2, y + h / 2};
        }
    }
};

void fill(const I420View &f, const Rect &r)
{
    for (int row = r.y; row < r.y + r.h; ++row)
        std::fill_n(f.y + row * f.y_stride + r.x, r.w, kLit);
    // Grey, not tinted by the picture underneath.
    for (int row = r.y / 2; row < (r.y + r.h + 1) / 2; ++row) {
        std::fill_n(f.u + row * f.u_stride + r.x / 2, (r.w + 1) / 2, 128);
        std::fill_n(f.v + row * f.v_stride + r.x / 2, (r.w + 1) / 2, 128);
    }
}

// A third of the picture's brightness and colour shows through the box.
void darken(const I420View &f, const Rect &r)
{
    for (int row = r.y; row < r.y + r.h; ++row)
        for (std::uint8_t *p = f.y + row * f.y_stride + r.x, *end = p + r.w; p < end; ++p)
            *p = static_cast<std::uint8_t>(16 + std::max(0, *p - 16) / 3);
    for (std::uint8_t *plane : {f.u, f.v}) {
        const int stride = plane == f.u ? f.u_stride : f.v_stride;
        for (int row = r.y / 2; row < (r.y + r.h) / 2; ++row)
            for (std::uint8_t *p = plane + row * stride + r.x / 2, *end = p + r.w / 2; p < end; ++p)
                *p = static_cast<std::uint8_t>(128 + (*p - 128) / 3);
    }
}

} // namespace

std::uint8_t seven_segment_mask(char digit)
{
    static constexpr std::array<std::uint8_t, 10> masks = {0x3f, 0x06, 0x5b, 0x4f, 0x66,
                                                           0x6d, 0x7d, 0x07, 0x7f, 0x6f};
    return digit >= '0' && digit <= '9' ? masks[digit - '0'] : 0;
}

void draw_wall_clock(const I420View &f, std::string_view text)
{
    const auto l = Layout::of(f, text);
    if (!l)
        return;
    darken(f, l->box);
    int x = l->x0;
    for (char c : text) {
        if (c == ':') {
            fill(f, {x, l->y0 + l->h / 3 - l->t / 2, l->t, l->t});
            fill(f, {x, l->y0 + 2 * l->h / 3 - l->t / 2, l->t, l->t});
            x += l->colon_w + l->gap;
            continue;
        }
        const std::uint8_t mask = seven_segment_mask(c);
        for (int s = 0; s < 7; ++s)
            if (mask & (1 << s))
                fill(f, l->segment(s, x, l->y0));
        x += l->w + l->gap;
    }
}

std::optional<std::string> read_wall_clock(const I420View &f, std::string_view pattern)
{
    const auto l = Layout::of(f, pattern);
    if (!l)
        return std::nullopt;
    std::string text;
    int x = l->x0;
    for (char c : pattern) {
        if (c == ':') {
            text += ':';
            x += l->colon_w + l->gap;
            continue;
        }
        std::uint8_t mask = 0;
        for (int s = 0; s < 7; ++s) {
            const auto [px, py] = l->centre_of(s, x, l->y0);
            if (f.y[py * f.y_stride + px] > (kLit + 16) / 2)
                mask |= static_cast<std::uint8_t>(1 << s);
        }
        const char *digits = "0123456789";
        const auto *hit = std::find_if(digits, digits + 10,
                                       [&](char d) { return seven_segment_mask(d) == mask; });
        if (hit == digits + 10)
            return std::nullopt;
        text += *hit;
        x += l->w + l->gap;
    }
    return text;
}

std::string local_time_text()
{
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char text[16];
    std::snprintf(text, sizeof text, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
    return text;
}

} // namespace callbox::media
