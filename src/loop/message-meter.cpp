// MessageMeter: a small state machine over the WebSocket frame headers in a byte stream.
#include "loop/message-meter.hpp"

#include <algorithm>

namespace callbox::loop {

std::size_t MessageMeter::header_length() const
{
    if (have_ < 2)
        return 2;
    const std::uint8_t code = header_[1] & 0x7f;
    const std::size_t extended = code == 126 ? 2 : code == 127 ? 8 : 0;
    const std::size_t mask = (header_[1] & 0x80) ? 4 : 0;
    return 2 + extended + mask;
}

std::uint64_t MessageMeter::payload_length() const
{
    const std::uint8_t code = header_[1] & 0x7f;
    if (code < 126)
        return code;
    const std::size_t bytes = code == 126 ? 2 : 8;
    std::uint64_t length = 0;
    for (std::size_t i = 0; i < bytes; ++i)
        length = (length << 8) | header_[2 + i];
    return length;
}

bool MessageMeter::admit(std::uint64_t length)
{
    const std::uint8_t opcode = header_[0] & 0x0f;
    if (opcode & 0x08) // a control frame stands alone
        return length <= limit_;
    if (opcode != 0) // the first frame of a message
        message_ = 0;
    if (length > limit_ - message_)
        return false;
    message_ += length;
    return true;
}

std::size_t MessageMeter::scan(const std::uint8_t *data, std::size_t n)
{
    if (tripped_)
        return 0;
    std::size_t i = 0;
    std::size_t header_start = 0; // in this call; 0 also when the header began earlier
    while (i < n) {
        if (payload_left_ > 0) {
            const std::uint64_t take = std::min<std::uint64_t>(payload_left_, n - i);
            i += static_cast<std::size_t>(take);
            payload_left_ -= take;
            continue;
        }
        if (have_ == 0)
            header_start = i;
        header_[have_++] = data[i++];
        if (have_ < header_length())
            continue;
        const std::uint64_t length = payload_length();
        have_ = 0;
        if (!admit(length)) {
            tripped_ = true;
            return header_start;
        }
        payload_left_ = length;
    }
    return n;
}

} // namespace callbox::loop
