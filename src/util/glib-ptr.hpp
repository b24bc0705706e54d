// RAII owners for GLib and GObject handles, so no early return can leak a reference.
#pragma once

#include <glib-object.h>

#include <memory>

namespace callbox {

struct GObjectUnref {
    void operator()(gpointer object) const
    {
        if (object)
            g_object_unref(object);
    }
};

// Owns one reference to a GObject (SoupServer, JsonParser, ...).
template <typename T> using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

// Adopts a reference the caller already owns.
template <typename T> GObjectPtr<T> adopt(T *object)
{
    return GObjectPtr<T>(object);
}

// Takes a new reference.
template <typename T> GObjectPtr<T> retain(T *object)
{
    return GObjectPtr<T>(static_cast<T *>(g_object_ref(object)));
}

struct GFree {
    void operator()(gpointer p) const { g_free(p); }
};
using GCharPtr = std::unique_ptr<char, GFree>;

struct GSourceRemove {
    // A GLib main-loop source id that is removed when the owner goes away.
    guint id = 0;
    GSourceRemove() = default;
    explicit GSourceRemove(guint source) : id(source) {}
    GSourceRemove(const GSourceRemove &) = delete;
    GSourceRemove &operator=(const GSourceRemove &) = delete;
    ~GSourceRemove() { reset(); }
    void reset(guint source = 0)
    {
        if (id)
            g_source_remove(id);
        id = source;
    }
    // Forget the id without removing it (the source removed itself by returning FALSE).
    void release() { id = 0; }
};

} // namespace callbox
