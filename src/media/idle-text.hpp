// The idle screen's text, rendered once in a short-lived helper process (callboxd
// --render-idle-text) and drawn into each frame by the daemon: the text stack (pango, cairo,
// fontconfig, freetype, harfbuzz) never loads into callboxd, whose RSS it raised by 3.2 MiB, idle
// and in calls (docs/benchmarks.md, "The idle screen's text out of the daemon").
#pragma once

#include "media/clock-pattern.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace callbox::media {

// Coverage of white text (0 none … 255 full) over a screen-sized area, cut to the text's box.
struct TextMask {
    int x = 0, y = 0, width = 0, height = 0;
    std::vector<std::uint8_t> coverage; // width × height
};

// The box of `gray` (a `width` × `height` GRAY8 picture in video range, white text over black
// (16)) that holds every pixel brighter than black, as coverage; empty (width 0) when none is.
TextMask crop_text_mask(const std::uint8_t *gray, int width, int height);

// Draws `mask` into `frame` as white (video-range luma 235, neutral chroma) over what is there.
void draw_text_mask(const I420View &frame, const TextMask &mask);

// The helper's side: renders `text` with `dir`/idle-screen-text.pipeline at `width` × `height`
// and writes the GRAY8 picture to standard output. Returns the exit code.
int run_render_idle_text_command(const std::string &dir, int width, int height,
                                 const std::string &text);

// The daemon's side: runs the helper (the CALLBOX_TEXT_RENDERER program if set, the running
// callboxd otherwise) and calls `done` on the main loop with its mask, or null (logged) when
// the helper fails. The helper's errors go to the daemon's standard error.
void render_idle_text(const std::string &dir, int width, int height, const std::string &text,
                      std::function<void(std::shared_ptr<const TextMask>)> done);

} // namespace callbox::media
