// RequestLimits: refuses a request body past its limit when its headers arrive, before
// libsoup reads it (libsoup 3.2 reads every body whole into memory before any handler runs).
//
// A libsoup 3.2.3 workaround that lives in server/ because it needs libsoup's API. Its server
// (server/http1/soup-server-message-io-http1.c, io_read) goes on reading the body after a
// "got-headers" handler has set a status, so the connection is stolen from it instead. Still
// needed? If a newer SoupServer has a request body limit, or stops reading once a status is set,
// use that and run tests/attack/attack-http-body.mjs.
#pragma once

#include <libsoup/soup.h>

#include <cstddef>

namespace callbox::server {

struct BodyLimits {
    std::size_t max_body = 1024;       // any path: no route but the admin API reads a body
    std::size_t admin_max_body = 4096; // /api/admin/...: small JSON objects
    std::size_t whep_max_body = 16384; // /whep...: an SDP offer or fragment ([media] max_sdp_bytes)
};

class RequestLimits
{
public:
    // Watches every request `server` starts from now on.
    void attach(SoupServer *server);
    void configure(BodyLimits limits) { limits_ = limits; }

    // The limit for the body of a request to `path`.
    std::size_t limit_for(const char *path) const;

private:
    void on_headers(SoupServerMessage *msg);
    void on_chunk(SoupServerMessage *msg);

    BodyLimits limits_;
};

// Answers `status` with `text` and closes the connection at once, without reading what the
// client still sends (libsoup would read a whole body before it answered).
void refuse_and_close(SoupServerMessage *msg, guint status, const char *text);

} // namespace callbox::server
