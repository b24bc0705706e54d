// GuessLimiter: the back-off after wrong secrets (access codes, admin passwords), per client
// bucket (an IPv4 address or an IPv6 /64) and for the whole device. Pure logic: the caller
// gives the bucket and the time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace callbox::rooms {

struct GuessPolicy {
    unsigned free_tries = 3;         // wrong guesses a bucket makes before it has to wait
    unsigned max_wait_s = 60;        // the longest wait of one bucket
    unsigned budget_per_minute = 30; // wrong guesses the device takes a minute, all buckets

    bool operator==(const GuessPolicy &) const = default;
};

class GuessLimiter
{
public:
    // Buckets kept at most; past that the ones that wait no longer are forgotten first.
    static constexpr std::size_t kMaxBuckets = 4096;

    explicit GuessLimiter(GuessPolicy policy = {});
    // A changed policy; the counts so far stay (the budget is refilled to the new size).
    void configure(GuessPolicy policy);

    // Milliseconds `bucket` must still wait before a guess of it is heard; 0: go ahead.
    std::int64_t wait_ms(const std::string &bucket, std::int64_t now_ms) const;
    // A wrong guess from `bucket`. After its free tries it waits 2, 4, 8 … s (at most
    // max_wait_s); while the device-wide budget is used up, at once the longest wait.
    void failed(const std::string &bucket, std::int64_t now_ms);
    // The right secret: `bucket` starts over.
    void succeeded(const std::string &bucket);

    // Whether the device-wide budget is used up (wrong guesses wait the longest at once).
    bool slow(std::int64_t now_ms);
    std::size_t bucket_count() const { return buckets_.size(); }

private:
    struct Bucket {
        unsigned count = 0;
        std::int64_t wait_until_ms = 0;
        std::int64_t last_ms = 0;
    };
    void refill(std::int64_t now_ms);
    void forget_some(std::int64_t now_ms);

    GuessPolicy policy_;
    std::unordered_map<std::string, Bucket> buckets_;
    double budget_ = 0;
    std::int64_t refilled_ms_ = 0;
};

} // namespace callbox::rooms
