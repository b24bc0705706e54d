// MessageMeter: the size of each WebSocket message a client sends, counted from the frame
// headers as the bytes are read, before libsoup buffers them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace callbox::loop {

// libsoup 3.2 checks `max-incoming-payload-size` against each frame on its own and gathers the
// fragments of a message with no limit on their total. The meter reads the frame headers (RFC
// 6455 §5.2) in the bytes as they arrive: a data message whose fragments add up to more than
// `limit` payload bytes, or a control frame larger than `limit`, trips it at that frame's header.
// Without an extension a frame's payload length is the message's size, so nothing of a message
// larger than the limit is ever handed on (callbox offers no extension: see
// docs/decisions/0002-websocket-compression.md).
class MessageMeter
{
public:
    explicit MessageMeter(std::uint64_t limit) : limit_(limit) {}

    // Looks at the next `n` bytes of the stream. Returns how many of them may be handed on: all,
    // or those before the header of the frame that takes a message past the limit (0 when that
    // header began in an earlier call). Once tripped it passes nothing.
    std::size_t scan(const std::uint8_t *data, std::size_t n);
    bool tripped() const { return tripped_; }

private:
    // The header's length once its first two bytes are known (2 until then).
    std::size_t header_length() const;
    std::uint64_t payload_length() const;
    bool admit(std::uint64_t length);

    std::uint64_t limit_;
    std::uint64_t message_ = 0; // payload bytes of the data message being read
    std::uint64_t payload_left_ = 0;
    std::uint8_t header_[14] = {};
    std::size_t have_ = 0; // header bytes seen
    bool tripped_ = false;
};

} // namespace callbox::loop
