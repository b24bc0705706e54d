// MessageParser: one text frame → a validated ClientMessage or the ProtocolError to answer.
#pragma once

#include "protocol/messages.hpp"
#include "util/glib-ptr.hpp"

#include <json-glib/json-glib.h>

namespace callbox::protocol
{

class MessageParser
{
public:
    MessageParser();
    ParseResult parse(std::string_view text);

private:
    GObjectPtr<JsonParser> parser_;
};

} // namespace callbox::protocol
