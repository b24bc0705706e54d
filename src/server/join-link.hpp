// The address a phone opens to reach the device, for the idle screen and its QR code.
#pragma once

#include <string>

namespace callbox::server {

// "http(s)://HOST:PORT/": HOST is `listen` when it names one address, else the machine's first
// IPv4 LAN address (its .local name when it has none).
std::string join_link(const std::string &listen, bool tls, int port);

} // namespace callbox::server
