// RateLimiter: a token bucket — `rate` messages a second averaged over `window` seconds.
#pragma once

#include <algorithm>
#include <cstdint>

namespace callbox::server {

class RateLimiter
{
public:
    RateLimiter(unsigned rate, unsigned window) { configure(rate, window); }

    void configure(unsigned rate, unsigned window)
    {
        rate_ = rate;
        capacity_ = static_cast<double>(rate) * window;
        tokens_ = capacity_;
    }

    // Takes one token at `now_us` (monotonic µs); false when the bucket is empty.
    bool allow(std::int64_t now_us)
    {
        if (rate_ == 0)
            return true;
        if (last_us_ != 0)
            tokens_ = std::min(capacity_, tokens_ + (now_us - last_us_) * 1e-6 * rate_);
        last_us_ = now_us;
        if (tokens_ < 1.0)
            return false;
        tokens_ -= 1.0;
        return true;
    }

private:
    unsigned rate_ = 0;
    double capacity_ = 0;
    double tokens_ = 0;
    std::int64_t last_us_ = 0;
};

} // namespace callbox::server
