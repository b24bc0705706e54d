// join_link: the bound address, or the first non-loopback IPv4 address from getifaddrs().
#include "server/join-link.hpp"

#include <glib.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

namespace callbox::server {

namespace {

std::string first_lan_address()
{
    std::string host = std::string(g_get_host_name()) + ".local";
    ifaddrs *list = nullptr;
    if (getifaddrs(&list) != 0)
        return host;
    for (ifaddrs *i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK))
            continue;
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in *>(i->ifa_addr)->sin_addr, text,
                  sizeof text);
        host = text;
        break;
    }
    freeifaddrs(list);
    return host;
}

} // namespace

std::string join_link(const std::string &listen, bool tls, int port)
{
    std::string host = listen;
    if (host == "::" || host == "*" || host == "0.0.0.0")
        host = first_lan_address();
    else if (host.find(':') != std::string::npos)
        host = "[" + host + "]";
    return std::string(tls ? "https" : "http") + "://" + host + ":" + std::to_string(port) + "/";
}

} // namespace callbox::server
