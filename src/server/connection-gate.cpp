// ConnectionGate: counting connections by address, by IPv6 /64, and in all.
#include "server/connection-gate.hpp"

#include <cstring>

namespace callbox::server {

ConnectionGate::Client ConnectionGate::client_of(GInetAddress *address)
{
    Client c;
    const auto *bytes = g_inet_address_to_bytes(address);
    const gsize size = g_inet_address_get_native_size(address);
    const auto *raw = reinterpret_cast<const char *>(bytes);
    if (g_inet_address_get_family(address) == G_SOCKET_FAMILY_IPV6 && size == 16) {
        static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::memcmp(bytes, kMapped, sizeof kMapped) == 0) { // ::ffff:a.b.c.d is IPv4
            GInetAddress *v4 = g_inet_address_new_from_bytes(bytes + 12, G_SOCKET_FAMILY_IPV4);
            c = client_of(v4);
            g_object_unref(v4);
            return c;
        }
        c.prefix.assign(raw, 8);
    }
    c.address.assign(raw, size);
    gchar *text = g_inet_address_to_string(address);
    c.text = text;
    g_free(text);
    return c;
}

namespace {

unsigned count(const std::unordered_map<std::string, unsigned> &counts, const std::string &key)
{
    auto it = counts.find(key);
    return it == counts.end() ? 0 : it->second;
}

void decrement(std::unordered_map<std::string, unsigned> &counts, const std::string &key)
{
    auto it = counts.find(key);
    if (it != counts.end() && --it->second == 0)
        counts.erase(it);
}

} // namespace

ConnectionGate::Verdict ConnectionGate::admit(const Client &client, const ConnectionLimits &limits)
{
    if (total_ >= limits.total)
        return Verdict::Total;
    if (count(per_address_, client.address) >= limits.per_address)
        return Verdict::Address;
    if (!client.prefix.empty() && count(per_prefix_, client.prefix) >= limits.per_prefix)
        return Verdict::Prefix;
    ++per_address_[client.address];
    if (!client.prefix.empty())
        ++per_prefix_[client.prefix];
    ++total_;
    return Verdict::Admitted;
}

void ConnectionGate::release(const Client &client)
{
    decrement(per_address_, client.address);
    if (!client.prefix.empty())
        decrement(per_prefix_, client.prefix);
    --total_;
}

const char *describe(ConnectionGate::Verdict verdict)
{
    switch (verdict) {
    case ConnectionGate::Verdict::Total:
        return "max_connections reached";
    case ConnectionGate::Verdict::Address:
        return "max_connections_per_address reached";
    case ConnectionGate::Verdict::Prefix:
        return "max_connections_per_ipv6_prefix reached";
    case ConnectionGate::Verdict::Admitted:
        break;
    }
    return "admitted";
}

} // namespace callbox::server
