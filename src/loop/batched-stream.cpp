// OutputBatch and its GObject types: a GIOStream whose output is collected and flushed.
#include "loop/batched-stream.hpp"

#include "loop/pollable-source.hpp"
#include "loop/watched-input.hpp"

using callbox::loop::OutputBatch;

G_BEGIN_DECLS
#define CALLBOX_TYPE_BATCHED_OUTPUT (callbox_batched_output_get_type())
G_DECLARE_FINAL_TYPE(CallboxBatchedOutput, callbox_batched_output, CALLBOX, BATCHED_OUTPUT,
                     GOutputStream)
#define CALLBOX_TYPE_BATCHED_STREAM (callbox_batched_stream_get_type())
G_DECLARE_FINAL_TYPE(CallboxBatchedStream, callbox_batched_stream, CALLBOX, BATCHED_STREAM,
                     GIOStream)
G_END_DECLS

struct _CallboxBatchedOutput {
    GOutputStream parent_instance;
    GPollableOutputStream *base; // the socket's output stream
    GByteArray *pending;         // collected bytes; [0, sent) are already written
    gsize sent;
    GSource *wait;        // the socket's writability, while it is full
    GError *error;        // the first write error: every later write fails with it
    OutputBatch *batch;   // nullptr once the batch is gone
    gboolean queued;      // listed in the batch for its next flush
    GTask *closing;       // the stream's close, waiting for the last bytes to leave
    GSource *close_timer; // gives up on those bytes after kCloseDrainMs
    gsize high_water;     // writes block from this many unsent bytes
    gint64 stuck_since;   // when the socket first refused bytes since all were last sent
};

struct _CallboxBatchedStream {
    GIOStream parent_instance;
    GIOStream *base;
    GInputStream *input; // see watched-input.hpp
    CallboxBatchedOutput *output;
};

namespace {

gsize unsent(const CallboxBatchedOutput *out)
{
    return out->pending->len - out->sent;
}

// Within an iteration a stream takes whatever it is given (flush() sends it at the end); once its
// socket has refused bytes, only up to the high-water mark.
gboolean is_writable(const CallboxBatchedOutput *out)
{
    return out->error || out->stuck_since == 0 || unsent(out) < out->high_water;
}

void finish_close(CallboxBatchedOutput *out);
void wait_writable(CallboxBatchedOutput *out);

// Writes what is collected; true when nothing is left (sent, or dropped after an error).
gboolean send_pending(CallboxBatchedOutput *out)
{
    while (unsent(out) > 0 && !out->error) {
        GError *error = nullptr;
        const gssize n = g_pollable_output_stream_write_nonblocking(
            out->base, out->pending->data + out->sent, unsent(out), nullptr, &error);
        if (out->batch)
            out->batch->count_write();
        if (n >= 0) {
            out->sent += static_cast<gsize>(n);
        } else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
            g_error_free(error);
            wait_writable(out);
            return FALSE;
        } else {
            out->error = error;
        }
    }
    out->stuck_since = 0;
    // A large buffer (a slow peer's backlog) is given back once it has drained.
    if (out->pending->len > OutputBatch::kHighWater) {
        g_byte_array_unref(out->pending);
        out->pending = g_byte_array_new();
    } else {
        g_byte_array_set_size(out->pending, 0);
    }
    out->sent = 0;
    return TRUE;
}

gboolean on_base_writable(GObject *, gpointer data)
{
    auto *out = static_cast<CallboxBatchedOutput *>(data);
    g_clear_pointer(&out->wait, g_source_unref);
    if (send_pending(out) && out->closing)
        finish_close(out);
    return G_SOURCE_REMOVE;
}

void wait_writable(CallboxBatchedOutput *out)
{
    if (out->stuck_since == 0)
        out->stuck_since = g_get_monotonic_time();
    if (out->wait)
        return;
    out->wait = g_pollable_output_stream_create_source(out->base, nullptr);
    g_source_set_callback(out->wait, G_SOURCE_FUNC(on_base_writable), out, nullptr);
    g_source_attach(out->wait, g_main_context_get_thread_default());
}

void stop_waiting(CallboxBatchedOutput *out)
{
    if (out->wait) {
        g_source_destroy(out->wait);
        g_clear_pointer(&out->wait, g_source_unref);
    }
    if (out->close_timer) {
        g_source_destroy(out->close_timer);
        g_clear_pointer(&out->close_timer, g_source_unref);
    }
}

// --- the pollable source libsoup waits on when a write would block -------------------------

struct WritableSource {
    GSource source;
    CallboxBatchedOutput *out;
};

gboolean writable_prepare(GSource *source, gint *timeout)
{
    *timeout = -1;
    return is_writable(reinterpret_cast<WritableSource *>(source)->out);
}

gboolean writable_check(GSource *source)
{
    return is_writable(reinterpret_cast<WritableSource *>(source)->out);
}

gboolean writable_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    auto *out = reinterpret_cast<WritableSource *>(source)->out;
    return callbox::loop::dispatch_pollable(callback, G_OBJECT(out), data);
}

void writable_finalize(GSource *source)
{
    g_object_unref(reinterpret_cast<WritableSource *>(source)->out);
}

GSourceFuncs writable_funcs = {writable_prepare,  writable_check, writable_dispatch,
                               writable_finalize, nullptr,        nullptr};

// --- CallboxBatchedOutput --------------------------------------------------------------------

gssize output_write_nonblocking(GPollableOutputStream *stream, const void *buffer, gsize count,
                                GError **error)
{
    auto *out = CALLBOX_BATCHED_OUTPUT(stream);
    if (out->error) {
        g_propagate_error(error, g_error_copy(out->error));
        return -1;
    }
    if (!is_writable(out)) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                            "the peer is not taking its data");
        return -1;
    }
    g_byte_array_append(out->pending, static_cast<const guint8 *>(buffer), count);
    // (A full socket is written when it can take more: on_base_writable.)
    if (!out->wait) {
        if (out->batch)
            out->batch->queue(out);
        else
            send_pending(out);
    }
    return static_cast<gssize>(count);
}

gssize output_write(GOutputStream *stream, const void *buffer, gsize count, GCancellable *,
                    GError **error)
{
    return output_write_nonblocking(G_POLLABLE_OUTPUT_STREAM(stream), buffer, count, error);
}

gboolean output_close(GOutputStream *, GCancellable *, GError **)
{
    return TRUE; // the socket is closed with the GIOStream (see stream_close*)
}

gboolean output_can_poll(GPollableOutputStream *)
{
    return TRUE;
}

gboolean output_is_writable(GPollableOutputStream *stream)
{
    return is_writable(CALLBOX_BATCHED_OUTPUT(stream));
}

GSource *output_create_source(GPollableOutputStream *stream, GCancellable *cancellable)
{
    GSource *source = callbox::loop::new_pollable_source(&writable_funcs, sizeof(WritableSource),
                                                         "callbox batched output", cancellable);
    reinterpret_cast<WritableSource *>(source)->out = CALLBOX_BATCHED_OUTPUT(g_object_ref(stream));
    return source;
}

void output_pollable_init(GPollableOutputStreamInterface *iface)
{
    iface->can_poll = output_can_poll;
    iface->is_writable = output_is_writable;
    iface->create_source = output_create_source;
    iface->write_nonblocking = output_write_nonblocking;
}

} // namespace

G_DEFINE_FINAL_TYPE_WITH_CODE(CallboxBatchedOutput, callbox_batched_output, G_TYPE_OUTPUT_STREAM,
                              G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                    output_pollable_init))

static void callbox_batched_output_init(CallboxBatchedOutput *out)
{
    out->pending = g_byte_array_new();
    out->high_water = OutputBatch::kHighWater;
}

static void callbox_batched_output_finalize(GObject *object)
{
    auto *out = CALLBOX_BATCHED_OUTPUT(object);
    if (out->batch)
        out->batch->forget(out);
    stop_waiting(out);
    g_byte_array_unref(out->pending);
    g_clear_error(&out->error);
    g_clear_object(&out->base);
    G_OBJECT_CLASS(callbox_batched_output_parent_class)->finalize(object);
}

static void callbox_batched_output_class_init(CallboxBatchedOutputClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = callbox_batched_output_finalize;
    G_OUTPUT_STREAM_CLASS(klass)->write_fn = output_write;
    G_OUTPUT_STREAM_CLASS(klass)->close_fn = output_close;
}

// --- CallboxBatchedStream ----------------------------------------------------------------------

G_DEFINE_FINAL_TYPE(CallboxBatchedStream, callbox_batched_stream, G_TYPE_IO_STREAM)

static void callbox_batched_stream_init(CallboxBatchedStream *) {}

static GInputStream *stream_get_input_stream(GIOStream *stream)
{
    return CALLBOX_BATCHED_STREAM(stream)->input;
}

static GOutputStream *stream_get_output_stream(GIOStream *stream)
{
    return G_OUTPUT_STREAM(CALLBOX_BATCHED_STREAM(stream)->output);
}

static gboolean stream_close(GIOStream *stream, GCancellable *cancellable, GError **error)
{
    auto *self = CALLBOX_BATCHED_STREAM(stream);
    stop_waiting(self->output);
    send_pending(self->output); // best effort: what does not fit now is dropped
    stop_waiting(self->output);
    callbox::loop::watched_input_stop(self->input); // before its socket goes
    return g_io_stream_close(self->base, cancellable, error);
}

namespace {

void on_base_closed(GObject *base, GAsyncResult *result, gpointer data)
{
    GTask *task = G_TASK(data);
    GError *error = nullptr;
    if (g_io_stream_close_finish(G_IO_STREAM(base), result, &error))
        g_task_return_boolean(task, TRUE);
    else
        g_task_return_error(task, error);
    g_object_unref(task);
}

void finish_close(CallboxBatchedOutput *out)
{
    stop_waiting(out);
    GTask *task = out->closing;
    out->closing = nullptr;
    auto *self = CALLBOX_BATCHED_STREAM(g_task_get_source_object(task));
    g_io_stream_close_async(self->base, g_task_get_priority(task), g_task_get_cancellable(task),
                            on_base_closed, task);
}

} // namespace

static void stream_close_async(GIOStream *stream, int priority, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer data)
{
    auto *self = CALLBOX_BATCHED_STREAM(stream);
    CallboxBatchedOutput *out = self->output;
    // Nothing reads any more: out of the poll set (a hung-up socket would make every poll
    // return at once while the last bytes drain), and before the socket goes.
    callbox::loop::watched_input_stop(self->input);
    GTask *task = g_task_new(stream, cancellable, callback, data);
    g_task_set_priority(task, priority);
    out->closing = task;
    if (out->wait || !send_pending(out)) {
        out->close_timer = g_timeout_source_new(OutputBatch::kCloseDrainMs);
        g_source_set_callback(
            out->close_timer,
            [](gpointer data) -> gboolean {
                auto *out = static_cast<CallboxBatchedOutput *>(data);
                g_clear_pointer(&out->close_timer, g_source_unref);
                finish_close(out);
                return G_SOURCE_REMOVE;
            },
            out, nullptr);
        g_source_attach(out->close_timer, g_main_context_get_thread_default());
        return;
    }
    finish_close(out);
}

static gboolean stream_close_finish(GIOStream *, GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}

static void callbox_batched_stream_finalize(GObject *object)
{
    auto *self = CALLBOX_BATCHED_STREAM(object);
    g_clear_object(&self->input);
    g_clear_object(&self->output);
    g_clear_object(&self->base);
    G_OBJECT_CLASS(callbox_batched_stream_parent_class)->finalize(object);
}

static void callbox_batched_stream_class_init(CallboxBatchedStreamClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = callbox_batched_stream_finalize;
    GIOStreamClass *io = G_IO_STREAM_CLASS(klass);
    io->get_input_stream = stream_get_input_stream;
    io->get_output_stream = stream_get_output_stream;
    io->close_fn = stream_close;
    io->close_async = stream_close_async;
    io->close_finish = stream_close_finish;
}

// --- OutputBatch -------------------------------------------------------------------------------

namespace callbox::loop {

OutputBatch::OutputBatch(std::function<void()> arm) : arm_(std::move(arm)) {}

OutputBatch::~OutputBatch()
{
    flush();
    for (CallboxBatchedOutput *out : outputs_)
        out->batch = nullptr;
}

GIOStream *OutputBatch::wrap(GIOStream *base, MessageLimit limit)
{
    auto *self = CALLBOX_BATCHED_STREAM(g_object_new(CALLBOX_TYPE_BATCHED_STREAM, nullptr));
    self->base = G_IO_STREAM(g_object_ref(base));
    self->input = callbox::loop::watched_input_new(base, std::move(limit));
    self->output = CALLBOX_BATCHED_OUTPUT(g_object_new(CALLBOX_TYPE_BATCHED_OUTPUT, nullptr));
    self->output->base =
        G_POLLABLE_OUTPUT_STREAM(g_object_ref(g_io_stream_get_output_stream(base)));
    self->output->batch = this;
    self->output->high_water = high_water_;
    outputs_.insert(self->output);
    return G_IO_STREAM(self);
}

void OutputBatch::set_high_water(std::size_t bytes)
{
    high_water_ = bytes;
    for (CallboxBatchedOutput *out : outputs_)
        out->high_water = bytes;
}

std::size_t OutputBatch::backlog(GIOStream *stream)
{
    const CallboxBatchedOutput *out = CALLBOX_BATCHED_STREAM(stream)->output;
    return out->stuck_since ? unsent(out) : 0;
}

std::int64_t OutputBatch::stuck_since(GIOStream *stream)
{
    return CALLBOX_BATCHED_STREAM(stream)->output->stuck_since;
}

void OutputBatch::disarm(GIOStream *stream)
{
    watched_input_disarm(CALLBOX_BATCHED_STREAM(stream)->input);
}

void OutputBatch::queue(CallboxBatchedOutput *output)
{
    if (output->queued)
        return;
    output->queued = TRUE;
    dirty_.push_back(CALLBOX_BATCHED_OUTPUT(g_object_ref(output)));
    if (dirty_.size() == 1)
        arm_();
}

void OutputBatch::forget(CallboxBatchedOutput *output)
{
    outputs_.erase(output);
}

void OutputBatch::flush()
{
    std::vector<CallboxBatchedOutput *> outputs;
    outputs.swap(dirty_);
    for (CallboxBatchedOutput *out : outputs) {
        out->queued = FALSE;
        if (!out->wait) // a full socket is written when it can take more (on_base_writable)
            send_pending(out);
        g_object_unref(out);
    }
}

} // namespace callbox::loop
