// Response helpers shared by every HTTP handler: security headers, JSON and text.
#pragma once

#include <libsoup/soup.h>

#include <string>

namespace callbox::server {

// Content-Security-Policy (no inline script), no sniffing, no framing, no referrer.
void add_security_headers(SoupServerMessage *msg);
void respond_json(SoupServerMessage *msg, guint status, const std::string &json);
void respond_text(SoupServerMessage *msg, guint status, const char *text);

} // namespace callbox::server
