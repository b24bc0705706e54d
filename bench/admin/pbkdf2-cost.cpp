// bench/admin/pbkdf2-cost.cpp: the cost of one admin password check by password length, for the
// PBKDF2 that callboxd had (GHmac made anew, so the key re-hashed, on every iteration), GHmac
// keyed once and copied per iteration, and what callboxd uses now (GnuTLS/nettle, key set once).
#include "server/password-hash.hpp"

#include <glib.h>
#include <gnutls/crypto.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace {

using Bytes = std::vector<guint8>;

// The function callboxd had before: a new GHmac (the key set up again) for every iteration.
Bytes pbkdf2_rekeyed(std::string_view password, const Bytes &salt, unsigned iterations)
{
    Bytes block(32), u(32), first(salt);
    first.insert(first.end(), {0, 0, 0, 1});
    gsize len = u.size();
    GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, reinterpret_cast<const guchar *>(password.data()),
                          password.size());
    g_hmac_update(h, first.data(), static_cast<gssize>(first.size()));
    g_hmac_get_digest(h, u.data(), &len);
    g_hmac_unref(h);
    block = u;
    for (unsigned i = 1; i < iterations; ++i) {
        h = g_hmac_new(G_CHECKSUM_SHA256, reinterpret_cast<const guchar *>(password.data()),
                       password.size());
        g_hmac_update(h, u.data(), static_cast<gssize>(u.size()));
        len = u.size();
        g_hmac_get_digest(h, u.data(), &len);
        g_hmac_unref(h);
        for (std::size_t k = 0; k < block.size(); ++k)
            block[k] ^= u[k];
    }
    return block;
}

// GHmac keyed once; each iteration copies the keyed state (the pads) and hashes 32 bytes.
Bytes pbkdf2_ghmac_copy(std::string_view password, const Bytes &salt, unsigned iterations)
{
    GHmac *keyed = g_hmac_new(G_CHECKSUM_SHA256, reinterpret_cast<const guchar *>(password.data()),
                              password.size());
    Bytes block(32), u(salt);
    u.insert(u.end(), {0, 0, 0, 1});
    for (unsigned i = 0; i < iterations; ++i) {
        GHmac *h = g_hmac_copy(keyed);
        g_hmac_update(h, u.data(), static_cast<gssize>(u.size()));
        u.resize(32);
        gsize len = u.size();
        g_hmac_get_digest(h, u.data(), &len);
        g_hmac_unref(h);
        for (std::size_t k = 0; k < block.size(); ++k)
            block[k] ^= u[k];
    }
    g_hmac_unref(keyed);
    return block;
}

Bytes pbkdf2_gnutls(std::string_view password, const Bytes &salt, unsigned iterations)
{
    gnutls_datum_t key{reinterpret_cast<unsigned char *>(const_cast<char *>(password.data())),
                       static_cast<unsigned>(password.size())};
    gnutls_datum_t s{const_cast<unsigned char *>(salt.data()), static_cast<unsigned>(salt.size())};
    Bytes out(32);
    gnutls_pbkdf2(GNUTLS_MAC_SHA256, &key, &s, iterations, out.data(), out.size());
    return out;
}

// Milliseconds for `iterations`, measured over at most `budget` of them and scaled (the
// re-keyed function needs minutes for a 1 MiB password at the full count).
double ms_per_check(const std::function<Bytes(std::string_view, const Bytes &, unsigned)> &f,
                    const std::string &password, unsigned iterations, unsigned budget)
{
    const Bytes salt(16, 7);
    const unsigned run = std::min(iterations, budget);
    double best = 1e300;
    for (int rep = 0; rep < 3; ++rep) {
        const auto start = std::chrono::steady_clock::now();
        f(password, salt, run);
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        best = std::min(best, ms);
    }
    return best * iterations / run;
}

} // namespace

int main()
{
    // The three agree (the GHmac variants are the reference for the GnuTLS one).
    const Bytes salt(16, 7);
    if (pbkdf2_rekeyed("correct horse", salt, 1000) != pbkdf2_gnutls("correct horse", salt, 1000) ||
        pbkdf2_ghmac_copy("correct horse", salt, 1000) !=
            pbkdf2_gnutls("correct horse", salt, 1000)) {
        std::fprintf(stderr, "the PBKDF2 variants disagree\n");
        return 1;
    }
    std::printf("| password | iterations | before: GHmac re-keyed each iteration | GHmac keyed "
                "once, copied | "
                "now: GnuTLS (nettle), keyed once | now, refused (> %zu bytes) |\n",
                callbox::server::kMaxPasswordBytes);
    std::printf("|---|---|---|---|---|---|\n");
    struct Row {
        const char *name;
        std::size_t bytes;
    };
    for (const Row row :
         {Row{"16 B", 16}, Row{"256 B", 256}, Row{"47 KiB (fits 64 KiB of headers)", 47 * 1024},
          Row{"1 MiB", 1 << 20}}) {
        const std::string password(row.bytes, 'p');
        for (unsigned iterations : {120000u, callbox::server::kPasswordIterations}) {
            const unsigned rekey_budget = row.bytes > 4096 ? 200 : iterations;
            const double before = ms_per_check(pbkdf2_rekeyed, password, iterations, rekey_budget);
            const double copied = ms_per_check(pbkdf2_ghmac_copy, password, iterations, iterations);
            const double now = ms_per_check(pbkdf2_gnutls, password, iterations, iterations);
            const std::string hash =
                "$pbkdf2-sha256$" + std::to_string(iterations) +
                "$AAECAwQFBgcICQoLDA0ODw==$LQx3A5lom6a6y+ehEBT1ovXVkl/KvukyTItJ5jnyxGw=";
            const auto start = std::chrono::steady_clock::now();
            callbox::server::verify_password(password, hash);
            const double verify_ms =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count();
            std::printf("| %s | %u | %.0f ms%s | %.0f ms | %.0f ms | %s |\n", row.name, iterations,
                        before, rekey_budget < iterations ? " (scaled from 200)" : "", copied, now,
                        row.bytes > callbox::server::kMaxPasswordBytes
                            ? (std::to_string(verify_ms).substr(0, 5) + " ms").c_str()
                            : "—");
        }
    }
    return 0;
}
