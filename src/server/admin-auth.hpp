// AdminAuth: the admin password — PBKDF2-SHA256 hashes for the config file, and HTTP Basic
// checks for /admin and the admin API (verified hashes are cached; wrong guesses slow down).
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

namespace callbox::server {

// "$pbkdf2-sha256$<iterations>$<salt, base64>$<key, base64>" with a random salt.
std::string hash_password(std::string_view password);
bool verify_password(std::string_view password, std::string_view encoded);

class AdminAuth
{
public:
    enum class Result { Allowed, NoPasswordSet, Denied, SlowDown };

    explicit AdminAuth(std::string password_hash) : hash_(std::move(password_hash)) {}
    void set_hash(std::string password_hash);

    // Checks the request's Authorization header; on refusal the response is already set.
    Result check(SoupServerMessage *msg);

private:
    std::string hash_;
    std::set<std::string> accepted_; // Authorization headers that verified
    struct Failures {
        unsigned count = 0;
        std::int64_t blocked_until_us = 0;
    };
    std::map<std::string, Failures> failures_; // per client address
};

} // namespace callbox::server
