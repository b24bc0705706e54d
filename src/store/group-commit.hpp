// GroupCommit: lets chat appends made during one main-loop iteration share one SQLite commit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace callbox::store {

// The WebSocket hub owns one and hands it to the chat store; it opens a batch around the
// handling of each incoming frame, and a ChatStore that appends inside a batch leaves its
// transaction open and enlists here. Nothing may be delivered while a store is enlisted
// (pending()): the hub holds its outgoing frames until it has called commit(), at the end of
// the main-loop iteration (under load at most every few ms), so every chat message is still
// durable before anyone is sent it. One main thread: no locking.
class GroupCommit
{
public:
    class Participant
    {
    public:
        virtual ~Participant() = default;
        // Commits the open transaction; on failure rolls it back and says why.
        virtual bool commit_batch(std::string &error) = 0;
        // After a failed commit: true when it failed for want of room (a full disk).
        virtual bool full() const { return false; }
    };

    // While a Batch lives, appends are grouped.
    class Batch
    {
    public:
        explicit Batch(GroupCommit &group) : group_(group) { ++group_.depth_; }
        ~Batch() { --group_.depth_; }
        Batch(const Batch &) = delete;
        Batch &operator=(const Batch &) = delete;

    private:
        GroupCommit &group_;
    };

    GroupCommit() = default;
    GroupCommit(const GroupCommit &) = delete;
    GroupCommit &operator=(const GroupCommit &) = delete;

    bool batching() const { return depth_ > 0; }
    bool pending() const { return !enlisted_.empty(); }
    // Appends made inside batches since start (the hub tells which frame caused one).
    std::uint64_t appends() const { return appends_; }

    void enlist(Participant *p);
    void appended() { ++appends_; }
    void withdraw(Participant *p);
    // Commits every enlisted store; false (with the first error) when one failed.
    bool commit(std::string &error);
    // After a failed commit(): the first failure was for want of room.
    bool full() const { return full_; }

private:
    int depth_ = 0;
    std::uint64_t appends_ = 0;
    bool full_ = false;
    std::vector<Participant *> enlisted_;
};

} // namespace callbox::store
