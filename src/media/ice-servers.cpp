// STUN/TURN URLs (RFC 7064/7065) turned into the URIs webrtcbin's ICE agent parses.
#include "media/ice-servers.hpp"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include <glib.h>

namespace callbox::media {

namespace {

std::string escaped(std::string_view text)
{
    char *out = g_uri_escape_string(std::string(text).c_str(), nullptr, FALSE);
    std::string s(out);
    g_free(out);
    return s;
}

// "stun:host:port" → "stun://host:port" (webrtcbin parses them as hierarchical URIs).
std::string with_slashes(std::string_view url)
{
    const auto colon = url.find(':');
    return std::string(url.substr(0, colon)) + "://" + std::string(url.substr(colon + 1));
}

} // namespace

std::string webrtcbin_turn_uri(std::string_view url, std::string_view username,
                               std::string_view credential)
{
    const auto colon = url.find(':');
    return std::string(url.substr(0, colon)) + "://" + escaped(username) + ":" +
           escaped(credential) + "@" + std::string(url.substr(colon + 1));
}

void configure_ice_servers(GstElement *webrtcbin, const config::IceSettings &ice,
                           std::string_view who)
{
    // libnice takes one STUN server: the first.
    if (!ice.stun.empty() && !ice.stun.front().starts_with("stuns:"))
        g_object_set(webrtcbin, "stun-server", with_slashes(ice.stun.front()).c_str(), nullptr);
    for (const config::IceServer &server :
         config::ice_servers(ice, who, g_get_real_time() / 1000000))
        for (const std::string &url : server.urls) {
            if (!url.starts_with("turn"))
                continue;
            gboolean ok = FALSE;
            const std::string uri = webrtcbin_turn_uri(url, server.username, server.credential);
            g_signal_emit_by_name(webrtcbin, "add-turn-server", uri.c_str(), &ok);
            if (!ok)
                g_warning("media: webrtcbin does not take the TURN server %s", url.c_str());
        }
    g_object_set(webrtcbin, "ice-transport-policy",
                 ice.relay_only ? GST_WEBRTC_ICE_TRANSPORT_POLICY_RELAY
                                : GST_WEBRTC_ICE_TRANSPORT_POLICY_ALL,
                 nullptr);
}

} // namespace callbox::media
