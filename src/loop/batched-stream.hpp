// OutputBatch: streams under libsoup WebSockets whose writes leave once per main-loop iteration.
#pragma once

#include "loop/watched-input.hpp"

#include <gio/gio.h>

#include <cstdint>
#include <functional>
#include <unordered_set>
#include <vector>

struct _CallboxBatchedOutput;

namespace callbox::loop {

// libsoup's SoupWebsocketConnection writes each frame with its own send(). A stream made by
// wrap() sits between it and the socket: its input is the socket's, and what libsoup writes
// is collected in user space and sent by flush() with one write per socket. So the frames one
// peer gets during an iteration cost one syscall and one TCP segment, however many there are.
// libsoup still does all the WebSocket work (framing, pings, the close handshake).
//
// Within an iteration a stream accepts every write. Once its socket has refused bytes ("stuck")
// it accepts writes while fewer than its high-water mark (kHighWater unless set) bytes are
// unsent; past that its writes would block (libsoup keeps further frames in its own queue) until
// the socket takes more. Its owner reads backlog() and stuck_since() to cap a peer that does not
// read (the WebSocket hub closes it before libsoup has to queue anything). Closing the stream sends
// what is left first (waiting up to kCloseDrainMs for a full socket), then closes the socket.
// Main-loop thread only.
class OutputBatch
{
public:
    static constexpr std::size_t kHighWater = 256 * 1024;
    static constexpr unsigned kCloseDrainMs = 2000;

    // `arm` is called when a stream first has bytes to send; flush() must follow before the
    // main loop sleeps (the caller's end-of-iteration hook).
    explicit OutputBatch(std::function<void()> arm);
    ~OutputBatch();
    OutputBatch(const OutputBatch &) = delete;
    OutputBatch &operator=(const OutputBatch &) = delete;

    // A new stream (full reference) over `base`, which it keeps; its input counts the client's
    // messages against `limit` (watched-input.hpp). Once the batch is gone its streams send each
    // write at once.
    GIOStream *wrap(GIOStream *base, MessageLimit limit = {});
    // The high-water mark of every stream, present and future.
    void set_high_water(std::size_t bytes);
    // Of a stream made by wrap(): since when (monotonic µs) its socket has refused bytes without
    // having taken all of them since (0: it is not stuck), and the bytes waiting while it is stuck
    // (0 when it is not: what an iteration collects leaves at its end).
    static std::int64_t stuck_since(GIOStream *stream);
    static std::size_t backlog(GIOStream *stream);
    // Drops the stream's MessageLimit callback (its owner is going away).
    static void disarm(GIOStream *stream);
    // Sends what every stream has collected.
    void flush();
    bool pending() const { return !dirty_.empty(); }
    // Writes made to the sockets so far (each is one send()).
    std::uint64_t socket_writes() const { return socket_writes_; }

    // For the streams (batched-stream.cpp).
    void queue(_CallboxBatchedOutput *output);
    void forget(_CallboxBatchedOutput *output);
    void count_write() { ++socket_writes_; }

private:
    std::function<void()> arm_;
    std::vector<_CallboxBatchedOutput *> dirty_; // each holds a reference while listed
    std::unordered_set<_CallboxBatchedOutput *> outputs_;
    std::uint64_t socket_writes_ = 0;
    std::size_t high_water_ = kHighWater;
};

} // namespace callbox::loop
