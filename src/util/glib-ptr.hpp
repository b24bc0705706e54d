// RAII owners for GLib and GObject handles: one move-only owner per handle (libcamera's
// UniqueFD is the model), so no early return can leak a reference and none outlives it.
#pragma once

#include <glib-object.h>

#include <memory>
#include <utility>

namespace callbox {

// A deleter that calls `Free` on a non-null pointer: Owned<char, g_free>,
// Owned<GMainContext, g_main_context_unref>, ...
template <auto Free> struct FreeWith {
    template <typename T> void operator()(T *p) const
    {
        if (p)
            Free(p);
    }
};
template <typename T, auto Free> using Owned = std::unique_ptr<T, FreeWith<Free>>;

using GCharPtr = Owned<char, g_free>;
using MainContextPtr = Owned<GMainContext, g_main_context_unref>;
using GSourcePtr = Owned<GSource, g_source_unref>;

struct GObjectUnref {
    void operator()(gpointer object) const
    {
        if (object)
            g_object_unref(object);
    }
};

// Owns one reference to a GObject (SoupServer, GstElement, GstPad, ...).
template <typename T> using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

// Adopts a reference the caller already owns (what a *_new() or a getter marked
// "transfer full" returns).
template <typename T> GObjectPtr<T> adopt(T *object)
{
    return GObjectPtr<T>(object);
}

// Takes a new reference.
template <typename T> GObjectPtr<T> retain(T *object)
{
    return GObjectPtr<T>(object ? static_cast<T *>(g_object_ref(object)) : nullptr);
}

// Owns a new floating object (a GstElement from a factory, a ghost pad, ...): sinks the
// floating reference, or takes a new one when it was not floating.
template <typename T> GObjectPtr<T> sink(T *object)
{
    return GObjectPtr<T>(object ? static_cast<T *>(g_object_ref_sink(object)) : nullptr);
}

// A GLib main-loop source id (a timeout, an idle, a bus or unix-signal watch) that is
// removed when its owner goes away.
class SourceId
{
public:
    SourceId() = default;
    explicit SourceId(guint id) : id_(id) {}
    SourceId(SourceId &&other) noexcept : id_(std::exchange(other.id_, 0)) {}
    SourceId &operator=(SourceId &&other) noexcept
    {
        if (this != &other)
            reset(std::exchange(other.id_, 0));
        return *this;
    }
    SourceId(const SourceId &) = delete;
    SourceId &operator=(const SourceId &) = delete;
    ~SourceId() { reset(); }

    guint get() const { return id_; }
    explicit operator bool() const { return id_ != 0; }
    // Removes the source it holds, if any, and holds `id` instead.
    void reset(guint id = 0)
    {
        if (id_)
            g_source_remove(id_);
        id_ = id;
    }
    // Forgets the id without removing it (the source removed itself by returning FALSE).
    [[nodiscard]] guint release() { return std::exchange(id_, 0); }

private:
    guint id_ = 0;
};

} // namespace callbox
