// Client address buckets: IPv4 addresses as they are, IPv6 addresses cut to their /64.
#include "server/client-address.hpp"

#include "util/glib-ptr.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace callbox::server {

std::string guess_bucket(GSocketAddress *address)
{
    if (!address || !G_IS_INET_SOCKET_ADDRESS(address))
        return {};
    GInetAddress *ip = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address));
    const guint8 *bytes = g_inet_address_to_bytes(ip);
    if (g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV4) {
        GCharPtr text(g_inet_address_to_string(ip));
        return text.get();
    }
    static constexpr std::array<guint8, 12> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(mapped.begin(), mapped.end(), bytes)) {
        GObjectPtr<GInetAddress> v4 =
            adopt(g_inet_address_new_from_bytes(bytes + 12, G_SOCKET_FAMILY_IPV4));
        GCharPtr text(g_inet_address_to_string(v4.get()));
        return text.get();
    }
    std::array<guint8, 16> prefix{};
    std::memcpy(prefix.data(), bytes, 8);
    GObjectPtr<GInetAddress> net =
        adopt(g_inet_address_new_from_bytes(prefix.data(), G_SOCKET_FAMILY_IPV6));
    GCharPtr text(g_inet_address_to_string(net.get()));
    return std::string(text.get()) + "/64";
}

std::string guess_bucket(SoupServerMessage *msg)
{
    return guess_bucket(soup_server_message_get_remote_address(msg));
}

} // namespace callbox::server
