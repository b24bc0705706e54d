// IterationHook: a never-ready GSource whose prepare() runs armed work before each poll.
#include "server/iteration-hook.hpp"

namespace callbox::server {

struct IterationHook::Source {
    GSource source;
    IterationHook *hook;
};

gboolean IterationHook::prepare(GSource *source, gint *timeout)
{
    IterationHook *hook = reinterpret_cast<Source *>(source)->hook;
    *timeout = -1;
    ++hook->iteration_;
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

IterationHook::IterationHook(std::function<int()> callback) : callback_(std::move(callback))
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
    g_source_attach(source_, g_main_context_get_thread_default());
}

IterationHook::~IterationHook()
{
    g_source_destroy(source_);
    g_source_unref(source_);
}

} // namespace callbox::server
