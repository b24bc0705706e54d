// Response helpers: the headers every callbox response carries, and small bodies.
#include "server/http-headers.hpp"

#include <cstring>

namespace callbox::server {

void add_security_headers(SoupServerMessage *msg, const std::string &also_connect)
{
    auto *h = soup_server_message_get_response_headers(msg);
    const std::string connect = also_connect.empty() ? "'self'" : "'self' " + also_connect;
    soup_message_headers_replace(
        h, "Content-Security-Policy",
        ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
         "media-src 'self' blob: mediastream:; connect-src " +
         connect +
         "; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
            .c_str());
    soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
    soup_message_headers_replace(h, "X-Frame-Options", "DENY");
    soup_message_headers_replace(h, "Referrer-Policy", "no-referrer");
}

std::string origin_of(const std::string &url)
{
    g_autoptr(GUri) uri = g_uri_parse(url.c_str(), G_URI_FLAGS_NONE, nullptr);
    if (!uri || !g_uri_get_host(uri) || !g_uri_get_scheme(uri))
        return "";
    std::string host = g_uri_get_host(uri);
    if (host.find(':') != std::string::npos)
        host = "[" + host + "]"; // an IPv6 literal
    std::string out = std::string(g_uri_get_scheme(uri)) + "://" + host;
    if (g_uri_get_port(uri) > 0)
        out += ":" + std::to_string(g_uri_get_port(uri));
    return out;
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
