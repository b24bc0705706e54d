// AdminAuth: HTTP Basic checks for /admin and the admin API. Passwords are verified on a
// worker thread, one at a time, with the request paused meanwhile (the main loop keeps
// serving chat); verified credentials are remembered; wrong guesses slow down per client
// bucket and for the whole device.
#pragma once

#include "rooms/guess-limiter.hpp"
#include "server/password-hash.hpp"
#include "util/glib-ptr.hpp"

#include <libsoup/soup.h>

#include <functional>
#include <memory>
#include <set>
#include <string>

namespace callbox::server {

class AdminAuth
{
public:
    // Runs once the request's credentials are accepted (at once, or when the check is done).
    using Allowed = std::function<void(SoupServerMessage *)>;

    AdminAuth(std::string password_hash, rooms::GuessPolicy policy);
    ~AdminAuth();
    AdminAuth(const AdminAuth &) = delete;
    AdminAuth &operator=(const AdminAuth &) = delete;

    void set_hash(std::string password_hash);
    void set_policy(rooms::GuessPolicy policy) { guesses_.configure(policy); }

    // Checks the request's Authorization header. Allowed: calls `allowed` (at once for
    // remembered credentials; otherwise the request is paused and resumed when the worker
    // thread has verified the password). Refused: the response is set (403 without a
    // password, 401 wrong, 429 while the client's bucket waits or has a check under way).
    void check(SoupServerMessage *msg, Allowed allowed);

private:
    struct Waiter;
    struct Check;
    struct Shared; // what the worker's completion finds, even after the AdminAuth is gone

    // Joins a check of the same credentials, or queues a new one; false (and 429 set) when
    // another password from the same bucket is being checked.
    bool queue(SoupServerMessage *msg, Allowed &allowed, const std::string &credentials,
               std::string password, const std::string &bucket);
    void start_next();
    void finish(Check &check);

    std::string hash_;
    std::set<std::string> accepted_; // Authorization headers that verified
    rooms::GuessLimiter guesses_;
    std::shared_ptr<Shared> shared_;
};

} // namespace callbox::server
