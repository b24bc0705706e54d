// MessageParser: one text frame → a validated ClientMessage or the ProtocolError to answer.
#pragma once

#include "protocol/messages.hpp"

namespace callbox::protocol {

class MessageParser
{
public:
    ParseResult parse(std::string_view text) const;
};

} // namespace callbox::protocol
