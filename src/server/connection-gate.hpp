// ConnectionGate: open TCP connections counted per client address, per IPv6 /64 and in all.
#pragma once

#include <gio/gio.h>

#include <cstddef>
#include <string>
#include <unordered_map>

namespace callbox::server {

struct ConnectionLimits {
    unsigned total = 256;
    unsigned per_address = 32;
    unsigned per_prefix = 128; // per IPv6 /64
};

// Pure bookkeeping: the HTTP server asks admit() for each accepted socket before it reads a
// byte of it, and calls release() when the connection is gone.
class ConnectionGate
{
public:
    // What a connection is counted under: its address (an IPv4-mapped IPv6 address counts as
    // the IPv4 address) and, for IPv6, its /64. Raw address bytes.
    struct Client {
        std::string address;
        std::string prefix; // empty for IPv4
        std::string text;   // the address as people read it (logs)
    };
    static Client client_of(GInetAddress *address);

    enum class Verdict { Admitted, Total, Address, Prefix };
    // Counts the connection when it is admitted.
    Verdict admit(const Client &client, const ConnectionLimits &limits);
    void release(const Client &client);
    std::size_t open() const { return total_; }

private:
    std::unordered_map<std::string, unsigned> per_address_;
    std::unordered_map<std::string, unsigned> per_prefix_;
    std::size_t total_ = 0;
};

// The sentence a log line uses for a refusal.
const char *describe(ConnectionGate::Verdict verdict);

} // namespace callbox::server
