// ICE servers from the [ice] keys: URL checks and coturn's shared-secret credentials.
#include "config/ice-settings.hpp"

#include <glib.h>

namespace callbox::config {

namespace {

std::string mint_credential(const std::string &secret, const std::string &username)
{
    GHmac *hmac =
        g_hmac_new(G_CHECKSUM_SHA1, reinterpret_cast<const guchar *>(secret.data()), secret.size());
    g_hmac_update(hmac, reinterpret_cast<const guchar *>(username.data()),
                  static_cast<gssize>(username.size()));
    guint8 digest[20];
    gsize length = sizeof digest;
    g_hmac_get_digest(hmac, digest, &length);
    g_hmac_unref(hmac);
    char *encoded = g_base64_encode(digest, length);
    std::string out(encoded);
    g_free(encoded);
    return out;
}

} // namespace

std::vector<IceServer> ice_servers(const IceSettings &ice, std::string_view who, std::int64_t now_s)
{
    std::vector<IceServer> out;
    if (!ice.stun.empty())
        out.push_back({ice.stun, "", ""});
    if (ice.turn.empty())
        return out;
    IceServer turn{ice.turn, ice.turn_username, ice.turn_credential};
    if (!ice.turn_secret.empty()) {
        turn.username = std::to_string(now_s + ice.turn_credential_lifetime) + ":" +
                        std::string(who.empty() ? "callbox" : who);
        turn.credential = mint_credential(ice.turn_secret, turn.username);
    }
    out.push_back(std::move(turn));
    return out;
}

std::optional<std::string> check_ice_url(std::string_view url, bool turn)
{
    const std::string what = turn ? "a TURN URL (turn:host:port or turns:host:port)"
                                  : "a STUN URL (stun:host:port or stuns:host:port)";
    std::string_view rest = url;
    std::string_view scheme = turn ? "turn" : "stun";
    if (!rest.starts_with(scheme))
        return "'" + std::string(url) + "' is not " + what;
    rest.remove_prefix(scheme.size());
    if (rest.starts_with("s"))
        rest.remove_prefix(1);
    if (!rest.starts_with(":") || rest.starts_with("://"))
        return "'" + std::string(url) + "' is not " + what;
    rest.remove_prefix(1);
    std::string_view query;
    if (auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    if (!query.empty() && (!turn || (query != "transport=udp" && query != "transport=tcp")))
        return "'" + std::string(url) + "': the only query is ?transport=udp or ?transport=tcp, " +
               "on a TURN URL";
    if (rest.empty() || rest.starts_with(":"))
        return "'" + std::string(url) + "' has no host";
    for (char c : rest)
        if (g_ascii_isspace(c) || c == '@' || c == '/' || c == ',' || c == '%')
            return "'" + std::string(url) + "' is not " + what;
    return std::nullopt;
}

} // namespace callbox::config
