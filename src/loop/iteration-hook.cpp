// IterationHook: a never-ready GSource whose prepare() runs armed work before each poll.
#include "loop/iteration-hook.hpp"

#include <algorithm>

namespace callbox::loop {

struct IterationHook::Source {
    GSource source;
    IterationHook *hook;
};

gboolean IterationHook::prepare(GSource *source, gint *timeout)
{
    IterationHook *hook = reinterpret_cast<Source *>(source)->hook;
    *timeout = -1;
    if (hook->armed_) {
        hook->armed_ = false;
        const int again_ms = hook->callback_();
        if (again_ms >= 0) {
            hook->armed_ = true;
            *timeout = again_ms;
        }
    }
    return FALSE;
}

std::int64_t IterationHook::hold_until_us_ = 0;

gint IterationHook::poll(GPollFD *fds, guint count, gint timeout)
{
    if (timeout != 0 && hold_until_us_ > 0) {
        std::int64_t wait = hold_until_us_ - g_get_monotonic_time();
        if (timeout > 0)
            wait = std::min<std::int64_t>(wait, std::int64_t{timeout} * 1000);
        if (wait > 0) {
            g_usleep(static_cast<gulong>(wait));
            return g_poll(fds, count, 0);
        }
    }
    return g_poll(fds, count, timeout);
}

void IterationHook::hold_poll_until(std::int64_t until_us)
{
    if (until_us > 0 && !poll_installed_) {
        g_main_context_set_poll_func(context_, &IterationHook::poll);
        poll_installed_ = true;
    }
    hold_until_us_ = until_us;
}

IterationHook::IterationHook(std::function<int()> callback)
    : callback_(std::move(callback)), context_(g_main_context_get_thread_default())
{
    static GSourceFuncs funcs = {
        &IterationHook::prepare, nullptr, nullptr, nullptr, nullptr, nullptr,
    };
    source_ = g_source_new(&funcs, sizeof(Source));
    reinterpret_cast<Source *>(source_)->hook = this;
    // Before every other source, so its prepare() is never skipped (GLib stops preparing
    // lower priorities once a higher one is ready).
    g_source_set_priority(source_, G_MININT);
    g_source_set_static_name(source_, "callbox end of iteration");
    g_source_attach(source_, context_);
}

IterationHook::~IterationHook()
{
    if (poll_installed_) {
        hold_until_us_ = 0;
        g_main_context_set_poll_func(context_, g_poll);
    }
    g_source_destroy(source_);
    g_source_unref(source_);
}

} // namespace callbox::loop
