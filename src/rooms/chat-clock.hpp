// ChatClock: chat timestamps that never go backwards when the wall clock does (a board without a
// real-time clock boots with fake-hwclock's saved time and jumps when NTP syncs).
#pragma once

#include <algorithm>
#include <cstdint>

namespace callbox::rooms {

// Each stamp is the wall clock's time, unless that is earlier than time carried on from the last
// stamp at the monotonic clock's pace: after a backward jump, stamps go on from where they were
// (as if the jump had not happened) until the wall clock catches up. A forward jump is followed.
// Stamps never decrease, also across restarts when given the newest stored one.
class ChatClock
{
public:
    explicit ChatClock(std::int64_t newest_stored_ms = 0) : last_ms_(newest_stored_ms) {}

    // `wall_ms`: ms since the Unix epoch (g_get_real_time() / 1000); `mono_us`: the monotonic
    // clock (g_get_monotonic_time()).
    std::int64_t stamp(std::int64_t wall_ms, std::int64_t mono_us)
    {
        std::int64_t carried = last_ms_;
        if (anchor_mono_us_ >= 0)
            carried = std::max(carried, anchor_ms_ + (mono_us - anchor_mono_us_) / 1000);
        if (wall_ms >= carried) {
            anchor_ms_ = wall_ms; // the wall clock leads: follow it, and carry on from here
            anchor_mono_us_ = mono_us;
            return last_ms_ = wall_ms;
        }
        if (anchor_mono_us_ < 0) { // behind the stored stamps from the start: carry on from them
            anchor_ms_ = carried;
            anchor_mono_us_ = mono_us;
        }
        return last_ms_ = carried;
    }

private:
    std::int64_t last_ms_;
    std::int64_t anchor_ms_ = 0;
    std::int64_t anchor_mono_us_ = -1;
};

} // namespace callbox::rooms
