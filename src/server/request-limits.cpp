// Request body limits: Content-Length checked when the headers arrive, chunked bodies counted
// as they come; a body past its limit gets 413 and the connection is taken from libsoup and
// closed, so nothing more of it is read.
#include "server/request-limits.hpp"

#include "util/glib-ptr.hpp"

#include <cstring>
#include <string>

namespace callbox::server {

namespace {

constexpr char kTooLarge[] = "The request body is too large.\n";

// The response written on a connection taken from libsoup; freed when it is closed.
struct Refusal {
    GObjectPtr<GIOStream> stream;
    std::string bytes;
};

void closed(GObject *, GAsyncResult *result, gpointer data)
{
    auto *refusal = static_cast<Refusal *>(data);
    g_io_stream_close_finish(refusal->stream.get(), result, nullptr);
    delete refusal;
}

void written(GObject *, GAsyncResult *result, gpointer data)
{
    auto *refusal = static_cast<Refusal *>(data);
    GOutputStream *out = g_io_stream_get_output_stream(refusal->stream.get());
    g_output_stream_write_all_finish(out, result, nullptr, nullptr);
    g_io_stream_close_async(refusal->stream.get(), G_PRIORITY_DEFAULT, nullptr, closed, refusal);
}

} // namespace

void refuse_and_close(SoupServerMessage *msg, guint status, const char *text)
{
    GObjectPtr<SoupServerMessage> keep = retain(msg);
    auto *refusal = new Refusal{adopt(soup_server_message_steal_connection(msg)), {}};
    if (!refusal->stream) {
        delete refusal;
        return;
    }
    const std::string body = text;
    refusal->bytes = "HTTP/1.1 " + std::to_string(status) + " " + soup_status_get_phrase(status) +
                     "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    GOutputStream *out = g_io_stream_get_output_stream(refusal->stream.get());
    g_output_stream_write_all_async(out, refusal->bytes.data(), refusal->bytes.size(),
                                    G_PRIORITY_DEFAULT, nullptr, written, refusal);
}

std::size_t RequestLimits::limit_for(const char *path) const
{
    if (path && g_str_has_prefix(path, "/whep"))
        return limits_.whep_max_body;
    return path && g_str_has_prefix(path, "/api/admin/") ? limits_.admin_max_body
                                                         : limits_.max_body;
}

void RequestLimits::attach(SoupServer *server)
{
    g_signal_connect(server, "request-started",
                     G_CALLBACK(+[](SoupServer *, SoupServerMessage *msg, RequestLimits *self) {
                         g_signal_connect(msg, "got-headers",
                                          G_CALLBACK(+[](SoupServerMessage *m, RequestLimits *s) {
                                              s->on_headers(m);
                                          }),
                                          self);
                     }),
                     this);
}

void RequestLimits::on_headers(SoupServerMessage *msg)
{
    SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
    const std::size_t limit = limit_for(g_uri_get_path(soup_server_message_get_uri(msg)));
    switch (soup_message_headers_get_encoding(headers)) {
    case SOUP_ENCODING_NONE:
        return;
    case SOUP_ENCODING_CONTENT_LENGTH:
        if (static_cast<guint64>(soup_message_headers_get_content_length(headers)) > limit)
            refuse_and_close(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, kTooLarge);
        return;
    default: // chunked: counted as it arrives
        g_signal_connect(msg, "got-chunk",
                         G_CALLBACK(+[](SoupServerMessage *m, GBytes *, RequestLimits *self) {
                             self->on_chunk(m);
                         }),
                         this);
        return;
    }
}

void RequestLimits::on_chunk(SoupServerMessage *msg)
{
    SoupMessageBody *body = soup_server_message_get_request_body(msg);
    const std::size_t limit = limit_for(g_uri_get_path(soup_server_message_get_uri(msg)));
    if (body && static_cast<guint64>(body->length) > limit)
        refuse_and_close(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, kTooLarge);
}

} // namespace callbox::server
