// IterationHook: runs a callback once at the end of a main-loop iteration (before the poll).
#pragma once

#include <glib.h>

#include <cstdint>
#include <functional>

namespace callbox::loop {

// A GSource of the highest priority that never dispatches: its prepare(), which GLib calls
// before every poll and before any other source's prepare(), runs the callback when armed.
// So work armed while the sources of one iteration are dispatched (frames to flush, sockets
// to write) is done once, after all of them, and before the loop sleeps.
class IterationHook
{
public:
    // The callback returns -1 when done, or in how many ms it wants to run again (the poll
    // then sleeps at most that long, and the hook stays armed).
    explicit IterationHook(std::function<int()> callback);
    ~IterationHook();
    IterationHook(const IterationHook &) = delete;
    IterationHook &operator=(const IterationHook &) = delete;

    // Runs the callback at the end of this iteration (at most once however often armed).
    void arm() { armed_ = true; }
    // Until `until_us` (monotonic time; 0: no longer) the loop's poll first waits for that
    // time, or for a timer due sooner, and only then looks at its file descriptors; so
    // everything that arrives meanwhile is handled in one iteration. A poll GLib wants not
    // to wait at all (a source is ready) does not wait.
    void hold_poll_until(std::int64_t until_us);

private:
    struct Source;
    static gboolean prepare(GSource *source, gint *timeout);
    static gint poll(GPollFD *fds, guint count, gint timeout);

    std::function<int()> callback_;
    GSource *source_ = nullptr;
    bool armed_ = false;
    GMainContext *context_ = nullptr;
    bool poll_installed_ = false;
    static std::int64_t hold_until_us_; // GLib's poll function takes no user data
};

} // namespace callbox::loop
