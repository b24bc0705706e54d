// Response helpers shared by every HTTP handler: security headers, JSON, text and metrics.
#pragma once

#include <libsoup/soup.h>

#include <string>

namespace callbox::server {

// Content-Security-Policy (no inline script), no sniffing, no framing, no referrer.
void add_security_headers(SoupServerMessage *msg);
void respond_json(SoupServerMessage *msg, guint status, const std::string &json);
void respond_text(SoupServerMessage *msg, guint status, const char *text);

// Appends one metric in Prometheus text format (HELP, TYPE and the sample) to `out`.
template <typename T>
void append_metric(std::string &out, const char *name, const char *type, const char *help, T value)
{
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(value) + "\n";
}

} // namespace callbox::server
