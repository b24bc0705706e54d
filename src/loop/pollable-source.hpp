// Helpers for the pollable streams under libsoup's WebSocket: a source of our own that dispatches a
// GPollableSourceFunc.
#pragma once

#include <gio/gio.h>

namespace callbox::loop {

// A new source of `funcs` (`size` bytes, its struct starting with a GSource) named `name`,
// that `cancellable`, when given, makes ready, as GIO's pollable sources do.
inline GSource *new_pollable_source(GSourceFuncs *funcs, guint size, const char *name,
                                    GCancellable *cancellable)
{
    GSource *source = g_source_new(funcs, size);
    g_source_set_static_name(source, name);
    if (cancellable) {
        GSource *cancel = g_cancellable_source_new(cancellable);
        g_source_set_dummy_callback(cancel);
        g_source_add_child_source(source, cancel);
        g_source_unref(cancel);
    }
    return source;
}

// Calls a pollable source's callback, which is a GPollableSourceFunc set with G_SOURCE_FUNC.
inline gboolean dispatch_pollable(GSourceFunc callback, GObject *stream, gpointer data)
{
    if (!callback)
        return G_SOURCE_REMOVE;
    auto func = reinterpret_cast<GPollableSourceFunc>(reinterpret_cast<void (*)()>(callback));
    return func(stream, data);
}

} // namespace callbox::loop
