// The back-off bucket of a client: its IPv4 address, or the /64 of its IPv6 address (a host
// picks any address in its /64 for free: SLAAC, privacy and link-local addresses).
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include <string>

namespace callbox::server {

// "192.0.2.7", "2001:db8:1:2::/64", "fe80::/64"; an IPv4-mapped IPv6 address is its IPv4
// address; "" when the address is unknown.
std::string guess_bucket(GSocketAddress *address);
std::string guess_bucket(SoupServerMessage *msg);

} // namespace callbox::server
