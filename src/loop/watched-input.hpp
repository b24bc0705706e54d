// watched_input_new(): the input stream libsoup reads a WebSocket from, whose sources leave the
// poll set alone.
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <functional>

namespace callbox::loop {

// What the stream does with a client's messages (see message-meter.hpp): once one grows past
// `bytes` (0: no limit) it hands on the bytes before that frame, calls `exceeded` once (at the
// read after them, so that libsoup has handled the frames before), and reads nothing more from
// the socket: the rest stays in the kernel, and the connection's input source never fires again.
struct MessageLimit {
    std::uint64_t bytes = 0;
    std::function<void()> exceeded;
};

// libsoup's SoupWebsocketConnection destroys its input source at every read and attaches a new
// one (a pollable source with child sources). GLib 2.74 signals the main context's eventfd
// whenever a file descriptor enters or leaves the poll set, and while it dispatches a source it
// takes the source's descriptors out and puts them back: about six write()s, and as many
// wake-ups, for every read.
//
// The stream made here passes reads through to `base`'s input. When `base` is a plain socket
// connection (itself, or under libsoup's SoupIOStream), one watch per socket keeps its
// descriptor in the poll set for good, and the sources the stream hands out watch nothing
// themselves: they are ready when that watch's last poll saw the socket readable or hung up.
// Creating and destroying them costs no system call. Over TLS, whose stream keeps decrypted
// bytes of its own, the base's sources are handed out as they are.
GInputStream *watched_input_new(GIOStream *base, MessageLimit limit = {});
// Drops the `exceeded` callback (its owner is going away).
void watched_input_disarm(GInputStream *input);
// The socket under `stream` (a new reference, or nullptr): a GSocketConnection itself, or under
// libsoup's SoupIOStream and, with `through_tls`, under a GTlsConnection.
GSocket *socket_under(GIOStream *stream, bool through_tls);
// Takes the socket out of the poll set: call it before the socket is closed.
void watched_input_stop(GInputStream *input);

} // namespace callbox::loop
