// DevicePublisher: what the SFU hand-off needs of the media part — the device's camera and
// microphone published once into a room of the SFU by a webrtcbin that offers (interface only).
#pragma once

#include <string>
#include <string_view>

namespace callbox::sfu {

// Where a publication's signalling goes (on the main loop).
class PublisherSink
{
public:
    virtual ~PublisherSink() = default;
    virtual void offer(const std::string &sdp) = 0;
    // A local ICE candidate of m-line `mline`; an empty one: gathering is complete.
    virtual void candidate(unsigned mline, const std::string &candidate) = 0;
    // "connected", or "failed" with why; a failed publication is over.
    virtual void state(std::string_view state, const std::string &reason) = 0;
};

class DevicePublisher
{
public:
    virtual ~DevicePublisher() = default;
    // Starts a publication named `key` fed by the shared encoders; its offer goes to `sink`,
    // which must outlive it (unpublish() ends it). False with why when it cannot start.
    virtual bool publish(const std::string &key, PublisherSink &sink, std::string &error) = 0;
    virtual void answer(const std::string &key, const std::string &sdp) = 0;
    virtual void unpublish(const std::string &key) = 0;
};

} // namespace callbox::sfu
