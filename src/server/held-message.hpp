// HeldMessage: an HTTP request whose answer comes later (paused meanwhile), and whether its
// client went away before it came. Used by the admin password check, WHEP and the self-test.
#pragma once

#include "util/glib-ptr.hpp"

#include <libsoup/soup.h>

namespace callbox::server {

class HeldMessage
{
public:
    explicit HeldMessage(SoupServerMessage *msg);
    ~HeldMessage();
    HeldMessage(const HeldMessage &) = delete;
    HeldMessage &operator=(const HeldMessage &) = delete;

    SoupServerMessage *get() const { return msg_.get(); }
    // The client closed its connection: nobody reads an answer.
    bool gone() const { return gone_; }

    // Pauses the request until finish(), unless finish() came first (an answer made at once).
    void hold();
    // The answer is set: the request goes on if hold() paused it.
    void finish();

private:
    GObjectPtr<SoupServerMessage> msg_;
    gulong disconnected_ = 0;
    bool gone_ = false;
    bool held_ = false;
    bool finished_ = false;
};

} // namespace callbox::server
