// The device's own TLS identity: a self-signed certificate made on first start (its host names
// and addresses as subject alternative names), kept under the state dir with mode 0600.
#pragma once

#include <string>

namespace callbox::server {

struct TlsFiles {
    std::string certificate;
    std::string key;
};

// The self-signed certificate's validity: from a year before it is made (a board without a
// real-time clock may boot with a clock that is months behind, then jump forward) for 825 days
// in all (the longest iOS accepts).
constexpr long kBackdateSeconds = 365L * 24 * 3600;
constexpr long kValiditySeconds = 825L * 24 * 3600;

// Why the certificate at `path` should be made anew at `now`: unreadable, not yet valid (the
// clock went back before its start) or within `renew_days` of its end; empty when it is fine.
std::string renewal_reason(const std::string &path, long long now, unsigned renew_days);

// Returns the files in `dir` (cert.pem, key.pem), making them first when they are missing or
// renewal_reason() gives one at `now`; `renewed` says whether it made them.
bool ensure_self_signed(const std::string &dir, const std::string &device_name, TlsFiles &files,
                        std::string &error, unsigned renew_days = 30, long long now = 0,
                        bool *renewed = nullptr);

// The SHA-256 fingerprint of a DER certificate as browsers show it ("AB:CD:…", 32 bytes), so
// a user can check that the certificate their browser warns about is the box's own.
std::string sha256_fingerprint(const unsigned char *der, std::size_t size);

} // namespace callbox::server
