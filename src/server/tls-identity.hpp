// The device's own TLS identity: a self-signed certificate made on first start (its host names
// and addresses as subject alternative names), kept under the state dir with mode 0600.
#pragma once

#include <string>

namespace callbox::server {

struct TlsFiles {
    std::string certificate;
    std::string key;
};

// Returns the files in `dir` (cert.pem, key.pem), making them first when they are missing.
bool ensure_self_signed(const std::string &dir, const std::string &device_name, TlsFiles &files,
                        std::string &error);

// The SHA-256 fingerprint of a DER certificate as browsers show it ("AB:CD:…", 32 bytes), so
// a user can check that the certificate their browser warns about is the box's own.
std::string sha256_fingerprint(const unsigned char *der, std::size_t size);

} // namespace callbox::server
