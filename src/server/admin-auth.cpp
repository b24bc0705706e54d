// AdminAuth: PBKDF2 over GHmac, Basic credentials, and a per-client back-off after failures.
#include "server/admin-auth.hpp"

#include "server/http-headers.hpp"
#include "util/glib-ptr.hpp"

#include <glib.h>

#include <algorithm>
#include <vector>

namespace callbox::server {

namespace {

constexpr unsigned kIterations = 120000;

std::vector<guint8> pbkdf2_sha256(std::string_view password, const std::vector<guint8> &salt,
                                  unsigned iterations)
{
    // One block is enough for a 32-byte key: U1 = HMAC(P, S || INT(1)), Uk = HMAC(P, Uk-1).
    std::vector<guint8> block(32), u(32);
    std::vector<guint8> first(salt);
    first.insert(first.end(), {0, 0, 0, 1});
    gsize len = u.size();
    {
        g_autoptr(GHmac) h = g_hmac_new(
            G_CHECKSUM_SHA256, reinterpret_cast<const guchar *>(password.data()), password.size());
        g_hmac_update(h, first.data(), static_cast<gssize>(first.size()));
        g_hmac_get_digest(h, u.data(), &len);
    }
    block = u;
    for (unsigned i = 1; i < iterations; ++i) {
        g_autoptr(GHmac) h = g_hmac_new(
            G_CHECKSUM_SHA256, reinterpret_cast<const guchar *>(password.data()), password.size());
        g_hmac_update(h, u.data(), static_cast<gssize>(u.size()));
        len = u.size();
        g_hmac_get_digest(h, u.data(), &len);
        for (std::size_t k = 0; k < block.size(); ++k)
            block[k] ^= u[k];
    }
    return block;
}

std::string base64(const std::vector<guint8> &bytes)
{
    GCharPtr text(g_base64_encode(bytes.data(), bytes.size()));
    return text.get();
}

std::vector<guint8> unbase64(const std::string &text)
{
    gsize len = 0;
    guchar *raw = g_base64_decode(text.c_str(), &len);
    std::vector<guint8> out(raw, raw + len);
    g_free(raw);
    return out;
}

} // namespace

std::string hash_password(std::string_view password)
{
    std::vector<guint8> salt(16);
    for (auto &b : salt)
        b = static_cast<guint8>(g_random_int_range(0, 256));
    return "$pbkdf2-sha256$" + std::to_string(kIterations) + "$" + base64(salt) + "$" +
           base64(pbkdf2_sha256(password, salt, kIterations));
}

bool verify_password(std::string_view password, std::string_view encoded)
{
    g_auto(GStrv) parts = g_strsplit(std::string(encoded).c_str(), "$", -1);
    if (g_strv_length(parts) != 5 || std::string_view(parts[1]) != "pbkdf2-sha256")
        return false;
    const unsigned iterations = static_cast<unsigned>(g_ascii_strtoull(parts[2], nullptr, 10));
    if (iterations == 0 || iterations > 10000000)
        return false;
    const auto expected = unbase64(parts[4]);
    const auto actual = pbkdf2_sha256(password, unbase64(parts[3]), iterations);
    if (expected.size() != actual.size())
        return false;
    guint8 diff = 0;
    for (std::size_t i = 0; i < actual.size(); ++i)
        diff |= expected[i] ^ actual[i];
    return diff == 0;
}

void AdminAuth::set_hash(std::string password_hash)
{
    if (password_hash != hash_)
        accepted_.clear();
    hash_ = std::move(password_hash);
}

AdminAuth::Result AdminAuth::check(SoupServerMessage *msg)
{
    if (hash_.empty()) {
        respond_text(msg, SOUP_STATUS_FORBIDDEN,
                     "The admin pages are off: set an admin password first.\n"
                     "Run: callboxd --hash-password, and put the line it prints into the config "
                     "as [server] admin_password_hash=...\n");
        return Result::NoPasswordSet;
    }
    const char *header =
        soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Authorization");
    std::string credentials = header ? header : "";
    if (accepted_.contains(credentials))
        return Result::Allowed;

    const char *host = soup_server_message_get_remote_host(msg);
    Failures &f = failures_[host ? host : ""];
    const std::int64_t now = g_get_monotonic_time();
    auto deny = [msg](guint status, const char *text) {
        soup_message_headers_replace(soup_server_message_get_response_headers(msg),
                                     "WWW-Authenticate", "Basic realm=\"callbox admin\"");
        respond_text(msg, status, text);
    };
    if (f.blocked_until_us > now) {
        deny(429, "Too many wrong passwords; wait a little.\n");
        return Result::SlowDown;
    }
    if (credentials.rfind("Basic ", 0) == 0) {
        gsize len = 0;
        guchar *raw = g_base64_decode(credentials.c_str() + 6, &len);
        std::string pair(reinterpret_cast<char *>(raw), len);
        g_free(raw);
        const auto colon = pair.find(':');
        if (colon != std::string::npos && pair.substr(0, colon) == "admin" &&
            verify_password(pair.substr(colon + 1), hash_)) {
            if (accepted_.size() > 64)
                accepted_.clear();
            accepted_.insert(credentials);
            failures_.erase(host ? host : "");
            return Result::Allowed;
        }
        // Each wrong guess from this address doubles the wait after the third (max 60 s).
        if (++f.count > 3)
            f.blocked_until_us =
                now + std::min<std::int64_t>(60, std::int64_t{1} << std::min(f.count - 3, 6u)) *
                          G_USEC_PER_SEC;
    }
    deny(SOUP_STATUS_UNAUTHORIZED, "The admin password is needed (user: admin).\n");
    return Result::Denied;
}

} // namespace callbox::server
