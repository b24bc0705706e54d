// Self-signed certificate with GnuTLS: ECDSA P-256, SHA-256, 825 days from a year back, SANs for
// every name and address of the device, so a phone sees one warning once and the page then has its
// camera.
#include "server/tls-identity.hpp"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <glib.h>

#include <arpa/inet.h>
#include <cerrno>
#include <ctime>
#include <ifaddrs.h>
#include <memory>
#include <netinet/in.h>
#include <vector>

namespace callbox::server {

namespace {

// Writes `data` to a new file beside `path`, syncs it and renames it over `path`: a power cut
// leaves the old file or the new one, never half of one. Mode 0600 from the start (the key).
bool write_private(const std::string &path, const gnutls_datum_t &data, std::string &error)
{
    g_autoptr(GError) err = nullptr;
    if (!g_file_set_contents_full(path.c_str(), reinterpret_cast<const char *>(data.data),
                                  static_cast<gssize>(data.size),
                                  static_cast<GFileSetContentsFlags>(
                                      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE),
                                  0600, &err)) {
        error = "cannot write " + path + ": " + err->message;
        return false;
    }
    return true;
}

// Every address of the machine's interfaces, as raw bytes (4 or 16).
std::vector<std::string> local_addresses()
{
    std::vector<std::string> out;
    ifaddrs *list = nullptr;
    if (getifaddrs(&list) != 0)
        return out;
    for (ifaddrs *i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr)
            continue;
        if (i->ifa_addr->sa_family == AF_INET) {
            auto *a = &reinterpret_cast<sockaddr_in *>(i->ifa_addr)->sin_addr;
            out.emplace_back(reinterpret_cast<const char *>(a), 4);
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            auto *a = &reinterpret_cast<sockaddr_in6 *>(i->ifa_addr)->sin6_addr;
            if (!IN6_IS_ADDR_LINKLOCAL(a))
                out.emplace_back(reinterpret_cast<const char *>(a), 16);
        }
    }
    freeifaddrs(list);
    return out;
}

#define CHECK(call)                                                                                \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_ < 0) {                                                                             \
            error = std::string("making the TLS certificate failed: ") + gnutls_strerror(rc_);     \
            return false;                                                                          \
        }                                                                                          \
    } while (0)

} // namespace

std::string renewal_reason(const std::string &path, long long now, unsigned renew_days)
{
    g_autofree char *pem = nullptr;
    gsize size = 0;
    if (!g_file_get_contents(path.c_str(), &pem, &size, nullptr))
        return "it cannot be read";
    gnutls_x509_crt_t crt = nullptr;
    if (gnutls_x509_crt_init(&crt) < 0)
        return "GnuTLS cannot read certificates";
    const gnutls_datum_t data{reinterpret_cast<unsigned char *>(pem), static_cast<unsigned>(size)};
    std::string why;
    if (gnutls_x509_crt_import(crt, &data, GNUTLS_X509_FMT_PEM) < 0) {
        why = "it is not a PEM certificate";
    } else {
        const long long start = gnutls_x509_crt_get_activation_time(crt);
        const long long end = gnutls_x509_crt_get_expiration_time(crt);
        if (now < start)
            why = "the clock (" + std::to_string(now) + ") is before its start (" +
                  std::to_string(start) + ")";
        else if (now > end - static_cast<long long>(renew_days) * 24 * 3600)
            why = "it ends in less than " + std::to_string(renew_days) + " days (at " +
                  std::to_string(end) + ", now " + std::to_string(now) + ")";
    }
    gnutls_x509_crt_deinit(crt);
    return why;
}

bool ensure_self_signed(const std::string &dir, const std::string &device_name, TlsFiles &files,
                        std::string &error, unsigned renew_days, long long now, bool *renewed)
{
    files.certificate = dir + "/cert.pem";
    files.key = dir + "/key.pem";
    if (now == 0)
        now = time(nullptr);
    if (renewed)
        *renewed = false;
    if (g_file_test(files.certificate.c_str(), G_FILE_TEST_EXISTS) &&
        g_file_test(files.key.c_str(), G_FILE_TEST_EXISTS)) {
        const std::string why = renewal_reason(files.certificate, now, renew_days);
        if (why.empty())
            return true;
        g_message("making a new self-signed TLS certificate: %s", why.c_str());
    }
    if (renewed)
        *renewed = true;
    if (g_mkdir_with_parents(dir.c_str(), 0700) != 0) {
        error = "cannot create " + dir + ": " + g_strerror(errno);
        return false;
    }

    gnutls_x509_privkey_t key = nullptr;
    gnutls_x509_crt_t crt = nullptr;
    struct Owners {
        gnutls_x509_privkey_t &key;
        gnutls_x509_crt_t &crt;
        ~Owners()
        {
            if (crt)
                gnutls_x509_crt_deinit(crt);
            if (key)
                gnutls_x509_privkey_deinit(key);
        }
    } owners{key, crt};

    CHECK(gnutls_x509_privkey_init(&key));
    CHECK(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                       GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
    CHECK(gnutls_x509_crt_init(&crt));
    CHECK(gnutls_x509_crt_set_version(crt, 3));
    unsigned char serial[16];
    for (auto &b : serial)
        b = static_cast<unsigned char>(g_random_int_range(0, 256));
    serial[0] &= 0x7f; // a positive number
    CHECK(gnutls_x509_crt_set_serial(crt, serial, sizeof serial));
    // Valid from a year back: the clock that makes it may be far behind the one that checks it.
    // iOS refuses server certificates valid for more than 825 days in all.
    const time_t start = static_cast<time_t>(now - kBackdateSeconds);
    CHECK(gnutls_x509_crt_set_activation_time(crt, start));
    CHECK(gnutls_x509_crt_set_expiration_time(crt, start + kValiditySeconds));

    const std::string host = g_get_host_name();
    const std::string cn = "callbox " + device_name;
    CHECK(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn.data(),
                                        static_cast<unsigned>(cn.size())));
    for (const std::string &name :
         {host, host + ".local", std::string("callbox.local"), std::string("localhost")})
        CHECK(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name.data(),
                                                   static_cast<unsigned>(name.size()),
                                                   GNUTLS_FSAN_APPEND));
    for (const std::string &address : local_addresses())
        CHECK(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, address.data(),
                                                   static_cast<unsigned>(address.size()),
                                                   GNUTLS_FSAN_APPEND));
    CHECK(gnutls_x509_crt_set_basic_constraints(crt, 0, -1));
    CHECK(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE));
    CHECK(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0));
    CHECK(gnutls_x509_crt_set_key(crt, key));
    CHECK(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0));

    gnutls_datum_t cert_pem{}, key_pem{};
    CHECK(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cert_pem));
    int rc = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &key_pem);
    if (rc < 0) {
        gnutls_free(cert_pem.data);
        error = std::string("making the TLS key failed: ") + gnutls_strerror(rc);
        return false;
    }
    const bool ok = write_private(files.key, key_pem, error) &&
                    write_private(files.certificate, cert_pem, error);
    gnutls_free(cert_pem.data);
    gnutls_free(key_pem.data);
    if (ok)
        g_message("made a self-signed TLS certificate for %s in %s", host.c_str(), dir.c_str());
    return ok;
}

std::string sha256_fingerprint(const unsigned char *der, std::size_t size)
{
    g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(checksum, der, static_cast<gssize>(size));
    guint8 digest[32];
    gsize length = sizeof digest;
    g_checksum_get_digest(checksum, digest, &length);
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (gsize i = 0; i < length; ++i) {
        if (i)
            out += ':';
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 15];
    }
    return out;
}

} // namespace callbox::server
