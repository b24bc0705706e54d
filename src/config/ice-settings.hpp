// IceSettings: the [ice] part of the config (STUN and TURN servers) and the ICE servers a
// call is given, with TURN credentials minted per join from coturn's shared secret.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace callbox::config {

struct IceSettings {
    std::vector<std::string> stun; // "stun:host[:port]" (RFC 7064)
    std::vector<std::string> turn; // "turn:host[:port][?transport=udp|tcp]", "turns:…" (RFC 7065)
    std::string turn_username;     // static credentials, when there is no secret
    std::string turn_credential;
    std::string turn_secret;                   // coturn's static-auth-secret (use-auth-secret)
    unsigned turn_credential_lifetime = 86400; // s a minted credential is valid
    bool relay_only = false;                   // the device and the browsers use TURN relays only

    bool operator==(const IceSettings &) const = default;
};

// One entry of RTCConfiguration.iceServers.
struct IceServer {
    std::vector<std::string> urls;
    std::string username; // empty for STUN
    std::string credential;
};

// The servers a caller gets: the STUN URLs, then the TURN URLs with either the static
// credentials or, with a secret, coturn's REST scheme: username "<expiry>:<who>", credential
// base64(HMAC-SHA1(secret, username)), expiring `turn_credential_lifetime` s after `now_s`.
std::vector<IceServer> ice_servers(const IceSettings &ice, std::string_view who,
                                   std::int64_t now_s);

// Why `url` is not a STUN (or, with `turn`, TURN) URL; nothing when it is one.
std::optional<std::string> check_ice_url(std::string_view url, bool turn);

} // namespace callbox::config
