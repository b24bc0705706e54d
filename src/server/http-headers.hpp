// Response helpers shared by every HTTP handler: security headers, JSON and text.
#pragma once

#include <libsoup/soup.h>

#include <string>

namespace callbox::server {

// Content-Security-Policy (no inline script), no sniffing, no framing, no referrer. Pages may
// connect to their own origin and to `also_connect` (an origin, such as the SFU's), if given.
void add_security_headers(SoupServerMessage *msg, const std::string &also_connect = {});
// The origin (scheme://host[:port]) of `url`, or "" when it is not a URL.
std::string origin_of(const std::string &url);
void respond_json(SoupServerMessage *msg, guint status, const std::string &json);
void respond_text(SoupServerMessage *msg, guint status, const char *text);

} // namespace callbox::server
