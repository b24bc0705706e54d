// watched_input_new(): the input stream libsoup reads a WebSocket from, whose sources leave the
// poll set alone.
#pragma once

#include <gio/gio.h>

namespace callbox::loop {

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
GInputStream *watched_input_new(GIOStream *base);
// Takes the socket out of the poll set: call it before the socket is closed.
void watched_input_stop(GInputStream *input);

} // namespace callbox::loop
