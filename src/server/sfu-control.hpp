// SfuControl: the SFU hand-off as the HTTP API sees it — its state for /api/status and the
// admin's "large room" switch (interface only; sfu/room-handoff.cpp implements it).
#pragma once

#include <string>

namespace callbox::protocol {
class JsonWriter;
}

namespace callbox::server {

class SfuControl
{
public:
    virtual ~SfuControl() = default;
    // Writes the member "sfu":{...} into an open object.
    virtual void write(protocol::JsonWriter &w) const = 0;
    // Marks `room` large (it moves to the SFU) or not (it meshes again once it is empty);
    // false with why when the room does not exist.
    virtual bool set_large(const std::string &room, bool large, std::string &error) = 0;
};

} // namespace callbox::server
