// Response helpers: the headers every callbox response carries, and small bodies.
#include "server/http-headers.hpp"

#include <cstring>

namespace callbox::server {

void add_security_headers(SoupServerMessage *msg)
{
    auto *h = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(
        h, "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
    soup_message_headers_replace(h, "X-Frame-Options", "DENY");
    soup_message_headers_replace(h, "Referrer-Policy", "no-referrer");
}

void respond_json(SoupServerMessage *msg, guint status, const std::string &json)
{
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control",
                                 "no-store");
    soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY, json.data(),
                                     json.size());
    soup_server_message_set_status(msg, status, nullptr);
}

void respond_text(SoupServerMessage *msg, guint status, const char *text)
{
    soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC, text,
                                     std::strlen(text));
    soup_server_message_set_status(msg, status, nullptr);
}

} // namespace callbox::server
