// The test camera's readable wall clock: "HH:MM:SS" as seven-segment digits drawn into the
// middle of an I420 frame (white on a darkened box), and read back from one (for tests).
#pragma once

#include "media/clock-pattern.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace callbox::media {

// Which segments a digit lights: bit 0 the top, 1 top right, 2 bottom right, 3 bottom,
// 4 bottom left, 5 top left, 6 the middle. 0 for anything but '0'–'9'.
std::uint8_t seven_segment_mask(char digit);

// Draws `text` (digits and colons, e.g. "09:41:27") centred in the frame. Frames too small
// for digits at least 16 px tall are left untouched.
void draw_wall_clock(const I420View &frame, std::string_view text);

// Reads back what draw_wall_clock drew for a text of the same shape as `pattern` (digits where
// it has a digit, colons where it has one); nullopt when a glyph is not a digit.
std::optional<std::string> read_wall_clock(const I420View &frame, std::string_view pattern);

// The local time as "HH:MM:SS".
std::string local_time_text();

} // namespace callbox::media
