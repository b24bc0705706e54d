// The clock pattern (shared/CLOCKPATTERN.md): wall-clock ms and a frame counter drawn as a
// strip of 74 blocks into the top of an I420 frame, and read back from one.
#pragma once

#include <cstdint>
#include <optional>

namespace callbox::media {

struct I420View {
    std::uint8_t *y, *u, *v;
    int y_stride, u_stride, v_stride;
    int width, height;
};

struct ClockStamp {
    std::uint64_t time_ms; // 48 bits used
    std::uint16_t counter;
};

// Draws the strip; frames narrower than 592 px are left untouched.
void draw_clock_pattern(const I420View &frame, const ClockStamp &stamp);

// Reads a strip back (used by tests, and by anything checking what the encoder was given).
std::optional<ClockStamp> read_clock_pattern(const I420View &frame);

} // namespace callbox::media
