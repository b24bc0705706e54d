// GuessLimiter: per-bucket exponential waits and a device-wide budget of wrong guesses.
#include "rooms/guess-limiter.hpp"

#include <algorithm>
#include <vector>

namespace callbox::rooms {

namespace {

// A bucket whose last wrong guess is this old starts again from its free tries.
constexpr std::int64_t kForgetAfterMs = 15 * 60 * 1000;

} // namespace

GuessLimiter::GuessLimiter(GuessPolicy policy)
{
    configure(policy);
}

void GuessLimiter::configure(GuessPolicy policy)
{
    if (policy == policy_ && refilled_ms_ != 0)
        return;
    policy_ = policy;
    budget_ = policy.budget_per_minute;
    refilled_ms_ = 0;
}

void GuessLimiter::refill(std::int64_t now_ms)
{
    const double capacity = policy_.budget_per_minute;
    if (refilled_ms_ != 0 && now_ms > refilled_ms_)
        budget_ = std::min(capacity, budget_ + (now_ms - refilled_ms_) * capacity / 60000.0);
    refilled_ms_ = std::max(refilled_ms_, now_ms);
}

bool GuessLimiter::slow(std::int64_t now_ms)
{
    refill(now_ms);
    return budget_ < 1.0;
}

std::int64_t GuessLimiter::wait_ms(const std::string &bucket, std::int64_t now_ms) const
{
    auto it = buckets_.find(bucket);
    if (it == buckets_.end() || it->second.wait_until_ms <= now_ms)
        return 0;
    return it->second.wait_until_ms - now_ms;
}

void GuessLimiter::failed(const std::string &bucket, std::int64_t now_ms)
{
    const bool over_budget = slow(now_ms);
    if (!over_budget)
        budget_ -= 1.0;
    if (buckets_.size() >= kMaxBuckets && !buckets_.contains(bucket))
        forget_some(now_ms);
    Bucket &b = buckets_[bucket];
    if (now_ms - b.last_ms > kForgetAfterMs)
        b.count = 0;
    b.last_ms = now_ms;
    ++b.count;
    const std::int64_t max_ms = std::int64_t{policy_.max_wait_s} * 1000;
    std::int64_t wait = 0;
    if (over_budget)
        wait = max_ms;
    else if (b.count > policy_.free_tries)
        wait = std::min<std::int64_t>(
            max_ms, (std::int64_t{1} << std::min(b.count - policy_.free_tries, 20u)) * 1000);
    b.wait_until_ms = now_ms + wait;
}

void GuessLimiter::succeeded(const std::string &bucket)
{
    buckets_.erase(bucket);
}

void GuessLimiter::forget_some(std::int64_t now_ms)
{
    // First the buckets that wait no longer; if every one still waits, the oldest half.
    std::erase_if(buckets_,
                  [now_ms](const auto &entry) { return entry.second.wait_until_ms <= now_ms; });
    if (buckets_.size() < kMaxBuckets)
        return;
    std::vector<std::int64_t> ages;
    ages.reserve(buckets_.size());
    for (const auto &[key, b] : buckets_)
        ages.push_back(b.last_ms);
    auto middle = ages.begin() + static_cast<std::ptrdiff_t>(ages.size() / 2);
    std::nth_element(ages.begin(), middle, ages.end());
    const std::int64_t cut = *middle;
    std::erase_if(buckets_, [cut](const auto &entry) { return entry.second.last_ms <= cut; });
}

} // namespace callbox::rooms
