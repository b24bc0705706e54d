// The [ice] servers given to one call's webrtcbin: its STUN server, TURN servers (with the
// credentials minted for the call) and the relay-only policy.
#pragma once

#include "config/ice-settings.hpp"

#include <gst/gst.h>

#include <string>
#include <string_view>

namespace callbox::media {

// "turn://user:credential@host:port?transport=…" as webrtcbin takes it, from an RFC 7065 URL
// ("turn:host:port?transport=…"); the user and credential percent-encoded.
std::string webrtcbin_turn_uri(std::string_view url, std::string_view username,
                               std::string_view credential);

// Sets `webrtcbin`'s stun-server, its TURN servers and ice-transport-policy from `ice`, with
// TURN credentials for `who`. Call before the offer is applied.
void configure_ice_servers(GstElement *webrtcbin, const config::IceSettings &ice,
                           std::string_view who);

} // namespace callbox::media
