// Password hashes over GnuTLS's PBKDF2 (nettle: the HMAC key is set up once per check, its
// inner and outer pads kept, so each iteration hashes 64 bytes whatever the password's length).
#include "server/password-hash.hpp"

#include "util/glib-ptr.hpp"

#include <glib.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <cstdio>
#include <unistd.h>
#include <vector>

namespace callbox::server {

namespace {

constexpr unsigned kMaxIterations = 10000000;

std::vector<guint8> pbkdf2_sha256(std::string_view password, const std::vector<guint8> &salt,
                                  unsigned iterations)
{
    static const unsigned char empty = 0;
    // GnuTLS takes non-const pointers but only reads them.
    gnutls_datum_t key{
        const_cast<unsigned char *>(
            password.empty() ? &empty : reinterpret_cast<const unsigned char *>(password.data())),
        static_cast<unsigned>(password.size())};
    gnutls_datum_t salt_datum{const_cast<unsigned char *>(salt.empty() ? &empty : salt.data()),
                              static_cast<unsigned>(salt.size())};
    std::vector<guint8> out(32);
    if (gnutls_pbkdf2(GNUTLS_MAC_SHA256, &key, &salt_datum, iterations, out.data(), out.size()) < 0)
        out.clear();
    return out;
}

std::string base64(const std::vector<guint8> &bytes)
{
    GCharPtr text(g_base64_encode(bytes.data(), bytes.size()));
    return text.get();
}

std::vector<guint8> unbase64(const char *text)
{
    gsize len = 0;
    guchar *raw = g_base64_decode(text, &len);
    std::vector<guint8> out(raw, raw + len);
    g_free(raw);
    return out;
}

} // namespace

std::string hash_password(std::string_view password, unsigned iterations)
{
    g_return_val_if_fail(password.size() <= kMaxPasswordBytes, std::string());
    std::vector<guint8> salt(16);
    if (gnutls_rnd(GNUTLS_RND_KEY, salt.data(), salt.size()) < 0)
        for (auto &b : salt)
            b = static_cast<guint8>(g_random_int_range(0, 256));
    return "$pbkdf2-sha256$" + std::to_string(iterations) + "$" + base64(salt) + "$" +
           base64(pbkdf2_sha256(password, salt, iterations));
}

bool verify_password(std::string_view password, std::string_view encoded)
{
    if (password.size() > kMaxPasswordBytes)
        return false;
    g_auto(GStrv) parts = g_strsplit(std::string(encoded).c_str(), "$", -1);
    if (g_strv_length(parts) != 5 || std::string_view(parts[1]) != "pbkdf2-sha256")
        return false;
    const unsigned iterations = static_cast<unsigned>(g_ascii_strtoull(parts[2], nullptr, 10));
    if (iterations == 0 || iterations > kMaxIterations)
        return false;
    const auto expected = unbase64(parts[4]);
    const auto actual = pbkdf2_sha256(password, unbase64(parts[3]), iterations);
    if (expected.empty() || expected.size() != actual.size())
        return false;
    guint8 diff = 0;
    for (std::size_t i = 0; i < actual.size(); ++i)
        diff |= expected[i] ^ actual[i];
    return diff == 0;
}

int print_password_hash_from_stdin()
{
    if (isatty(STDIN_FILENO))
        std::fprintf(stderr, "Admin password (then Enter): ");
    char line[kMaxPasswordBytes + 3]; // the password, CR, LF, NUL
    if (!std::fgets(line, sizeof line, stdin)) {
        std::fprintf(stderr, "callboxd: no password on standard input\n");
        return 1;
    }
    std::string password(line);
    const bool whole_line = !password.empty() && password.back() == '\n';
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r'))
        password.pop_back();
    if (password.size() > kMaxPasswordBytes || (!whole_line && !std::feof(stdin))) {
        std::fprintf(stderr, "callboxd: use at most %zu bytes\n", kMaxPasswordBytes);
        return 1;
    }
    if (password.size() < 6) {
        std::fprintf(stderr, "callboxd: use at least 6 characters\n");
        return 1;
    }
    std::printf("admin_password_hash=%s\n", hash_password(password).c_str());
    return 0;
}

} // namespace callbox::server
