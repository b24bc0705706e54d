// CallboxWatchedInput: a pass-through pollable input stream with one persistent watch on its
// socket.
#include "loop/watched-input.hpp"

#include "loop/message-meter.hpp"
#include "loop/pollable-source.hpp"

G_BEGIN_DECLS
#define CALLBOX_TYPE_WATCHED_INPUT (callbox_watched_input_get_type())
G_DECLARE_FINAL_TYPE(CallboxWatchedInput, callbox_watched_input, CALLBOX, WATCHED_INPUT,
                     GInputStream)
G_END_DECLS

struct _CallboxWatchedInput {
    GInputStream parent_instance;
    GPollableInputStream *base;
    GSocket *socket;   // nullptr: the base's own sources are handed out
    GSource *watch;    // keeps the socket's descriptor in the poll set
    GPollFD pollfd;    // the descriptor, with the revents of the last poll
    gboolean watching; // pollfd is in the poll set
    guint sources;     // sources handed out and not finalized yet
    gboolean fresh;    // not looked at yet: bytes may wait in the base's own buffer
    callbox::loop::MessageMeter *meter; // nullptr: no limit
    std::function<void()> *exceeded;    // told once when the meter trips
};

namespace {

constexpr GIOCondition kReadable = static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR);

// --- the watch: in the poll set, never dispatched ---------------------------------------------

struct Watch {
    GSource source;
    CallboxWatchedInput *in; // not a reference: the stream destroys its watch
};

gboolean watch_prepare(GSource *, gint *timeout)
{
    *timeout = -1;
    return FALSE;
}

gboolean watch_check(GSource *source)
{
    // A socket nobody reads (libsoup stopped: it is closing) but that polls readable or hung
    // up would make every poll return at once: out of the poll set until a source is asked for.
    // (The descriptor is added with g_source_add_poll(), not g_source_add_unix_fd(): GLib
    // dispatches a source whose unix fd polled ready whatever its check() says.)
    CallboxWatchedInput *in = reinterpret_cast<Watch *>(source)->in;
    if (in->sources == 0 && in->watching && in->pollfd.revents != 0) {
        g_source_remove_poll(source, &in->pollfd);
        in->watching = FALSE;
    }
    return FALSE;
}

gboolean watch_dispatch(GSource *, GSourceFunc, gpointer)
{
    return G_SOURCE_CONTINUE;
}

GSourceFuncs watch_funcs = {watch_prepare, watch_check, watch_dispatch, nullptr, nullptr, nullptr};

void start_watch(CallboxWatchedInput *in)
{
    if (!in->watch) {
        in->watch = g_source_new(&watch_funcs, sizeof(Watch));
        reinterpret_cast<Watch *>(in->watch)->in = in;
        g_source_set_static_name(in->watch, "callbox socket watch");
        g_source_attach(in->watch, g_main_context_get_thread_default());
    }
    if (!in->watching) {
        in->pollfd = GPollFD{g_socket_get_fd(in->socket), static_cast<gushort>(kReadable), 0};
        g_source_add_poll(in->watch, &in->pollfd);
        in->watching = TRUE;
    }
}

// --- the sources handed out: ready from the watch's last poll ---------------------------------

struct Ready {
    GSource source;
    CallboxWatchedInput *in; // a reference
};

gboolean ready_prepare(GSource *source, gint *timeout)
{
    *timeout = -1;
    // Once: bytes the HTTP side read ahead wait in the base's buffer, not in the socket.
    CallboxWatchedInput *in = reinterpret_cast<Ready *>(source)->in;
    if (!in->fresh)
        return FALSE;
    in->fresh = FALSE;
    return g_pollable_input_stream_is_readable(in->base);
}

gboolean ready_check(GSource *source)
{
    CallboxWatchedInput *in = reinterpret_cast<Ready *>(source)->in;
    return in->watching && (in->pollfd.revents & kReadable) != 0;
}

gboolean ready_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    GObject *in = G_OBJECT(reinterpret_cast<Ready *>(source)->in);
    return callbox::loop::dispatch_pollable(callback, in, data);
}

void ready_finalize(GSource *source)
{
    CallboxWatchedInput *in = reinterpret_cast<Ready *>(source)->in;
    --in->sources;
    g_object_unref(in);
}

GSourceFuncs ready_funcs = {ready_prepare,  ready_check, ready_dispatch,
                            ready_finalize, nullptr,     nullptr};

// --- the stream --------------------------------------------------------------------------------

// A message past the limit: nothing more is read from this client (see MessageLimit).
gssize stalled(CallboxWatchedInput *in, GError **error)
{
    if (in->exceeded) {
        std::function<void()> exceeded = std::move(*in->exceeded);
        delete in->exceeded;
        in->exceeded = nullptr;
        callbox::loop::watched_input_stop(G_INPUT_STREAM(in));
        if (exceeded)
            exceeded();
    }
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                        "a message went past the size limit: the rest is not read");
    return -1;
}

// What the meter lets through of `n` bytes just read into `buffer`.
gssize metered(CallboxWatchedInput *in, void *buffer, gssize n, GError **error)
{
    if (!in->meter || n <= 0)
        return n;
    const std::size_t keep =
        in->meter->scan(static_cast<const std::uint8_t *>(buffer), static_cast<std::size_t>(n));
    return keep > 0 ? static_cast<gssize>(keep) : stalled(in, error);
}

bool has_tripped(const CallboxWatchedInput *in)
{
    return in->meter && in->meter->tripped();
}

gssize input_read(GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
                  GError **error)
{
    CallboxWatchedInput *in = CALLBOX_WATCHED_INPUT(stream);
    in->fresh = FALSE;
    if (has_tripped(in))
        return stalled(in, error);
    const gssize n =
        g_input_stream_read(G_INPUT_STREAM(in->base), buffer, count, cancellable, error);
    return metered(in, buffer, n, error);
}

gboolean input_close(GInputStream *, GCancellable *, GError **)
{
    return TRUE; // the socket is closed with its GIOStream
}

gboolean input_can_poll(GPollableInputStream *stream)
{
    return g_pollable_input_stream_can_poll(CALLBOX_WATCHED_INPUT(stream)->base);
}

gboolean input_is_readable(GPollableInputStream *stream)
{
    CallboxWatchedInput *in = CALLBOX_WATCHED_INPUT(stream);
    return !has_tripped(in) && g_pollable_input_stream_is_readable(in->base);
}

gssize input_read_nonblocking(GPollableInputStream *stream, void *buffer, gsize count,
                              GError **error)
{
    CallboxWatchedInput *in = CALLBOX_WATCHED_INPUT(stream);
    in->fresh = FALSE; // libsoup reads until it would block, which empties any buffer
    if (has_tripped(in))
        return stalled(in, error);
    const gssize n =
        g_pollable_input_stream_read_nonblocking(in->base, buffer, count, nullptr, error);
    return metered(in, buffer, n, error);
}

GSource *input_create_source(GPollableInputStream *stream, GCancellable *cancellable)
{
    CallboxWatchedInput *in = CALLBOX_WATCHED_INPUT(stream);
    const bool stopped = has_tripped(in); // a source that never fires (it watches nothing)
    if (!stopped && (!in->socket || g_socket_is_closed(in->socket)))
        return g_pollable_input_stream_create_source(in->base, cancellable);
    if (!stopped)
        start_watch(in);
    GSource *source = callbox::loop::new_pollable_source(&ready_funcs, sizeof(Ready),
                                                         "callbox socket input", cancellable);
    reinterpret_cast<Ready *>(source)->in = CALLBOX_WATCHED_INPUT(g_object_ref(in));
    ++in->sources;
    return source;
}

void input_pollable_init(GPollableInputStreamInterface *iface)
{
    iface->can_poll = input_can_poll;
    iface->is_readable = input_is_readable;
    iface->create_source = input_create_source;
    iface->read_nonblocking = input_read_nonblocking;
}

} // namespace

G_DEFINE_FINAL_TYPE_WITH_CODE(CallboxWatchedInput, callbox_watched_input, G_TYPE_INPUT_STREAM,
                              G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM,
                                                    input_pollable_init))

static void callbox_watched_input_init(CallboxWatchedInput *in)
{
    in->fresh = TRUE;
}

static void callbox_watched_input_finalize(GObject *object)
{
    CallboxWatchedInput *in = CALLBOX_WATCHED_INPUT(object);
    callbox::loop::watched_input_stop(G_INPUT_STREAM(in));
    callbox::loop::watched_input_disarm(G_INPUT_STREAM(in));
    delete in->meter;
    g_clear_object(&in->socket);
    g_clear_object(&in->base);
    G_OBJECT_CLASS(callbox_watched_input_parent_class)->finalize(object);
}

static void callbox_watched_input_class_init(CallboxWatchedInputClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = callbox_watched_input_finalize;
    G_INPUT_STREAM_CLASS(klass)->read_fn = input_read;
    G_INPUT_STREAM_CLASS(klass)->close_fn = input_close;
}

namespace callbox::loop {

GInputStream *watched_input_new(GIOStream *base, MessageLimit limit)
{
    auto *in = CALLBOX_WATCHED_INPUT(g_object_new(CALLBOX_TYPE_WATCHED_INPUT, nullptr));
    in->base = G_POLLABLE_INPUT_STREAM(g_object_ref(g_io_stream_get_input_stream(base)));
    in->socket = socket_under(base, false);
    if (limit.bytes > 0) {
        in->meter = new MessageMeter(limit.bytes);
        in->exceeded = new std::function<void()>(std::move(limit.exceeded));
    }
    return G_INPUT_STREAM(in);
}

namespace {

// The stream under `stream` through its property `name`, if it has one (a new reference).
GIOStream *inner_stream(GIOStream *stream, const char *name)
{
    GIOStream *inner = nullptr;
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(stream), name))
        g_object_get(stream, name, &inner, nullptr);
    return inner;
}

} // namespace

GSocket *socket_under(GIOStream *stream, bool through_tls)
{
    GIOStream *current = G_IO_STREAM(g_object_ref(stream));
    while (current && !G_IS_SOCKET_CONNECTION(current)) {
        GIOStream *inner = inner_stream(current, "base-iostream"); // SoupIOStream
        if (!inner && through_tls && G_IS_TLS_CONNECTION(current))
            inner = inner_stream(current, "base-io-stream");
        g_object_unref(current);
        current = inner;
    }
    GSocket *socket = nullptr;
    if (current) {
        socket =
            G_SOCKET(g_object_ref(g_socket_connection_get_socket(G_SOCKET_CONNECTION(current))));
        g_object_unref(current);
    }
    return socket;
}

void watched_input_disarm(GInputStream *input)
{
    CallboxWatchedInput *in = CALLBOX_WATCHED_INPUT(input);
    delete in->exceeded;
    in->exceeded = nullptr;
}

void watched_input_stop(GInputStream *input)
{
    CallboxWatchedInput *in = CALLBOX_WATCHED_INPUT(input);
    if (in->watch) {
        g_source_destroy(in->watch);
        g_clear_pointer(&in->watch, g_source_unref);
    }
    in->watching = FALSE;
    g_clear_object(&in->socket); // sources asked for later (none, normally) are the base's
}

} // namespace callbox::loop
