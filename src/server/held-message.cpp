// HeldMessage: pausing a request until its answer is ready, and noticing a client that left.
#include "server/held-message.hpp"

namespace callbox::server {

HeldMessage::HeldMessage(SoupServerMessage *msg) : msg_(retain(msg))
{
    disconnected_ = g_signal_connect(
        msg_.get(), "disconnected",
        G_CALLBACK(+[](SoupServerMessage *, HeldMessage *self) { self->gone_ = true; }), this);
}

HeldMessage::~HeldMessage()
{
    g_signal_handler_disconnect(msg_.get(), disconnected_);
}

void HeldMessage::hold()
{
    if (finished_ || held_)
        return;
    held_ = true;
    soup_server_message_pause(msg_.get());
}

void HeldMessage::finish()
{
    if (finished_)
        return;
    finished_ = true;
    if (held_)
        soup_server_message_unpause(msg_.get());
}

} // namespace callbox::server
