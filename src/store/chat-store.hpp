// ChatStore: chat history in an SQLite file (WAL), committed before a message is delivered.
#pragma once

#include "rooms/room-registry.hpp"
#include "store/group-commit.hpp"

#include <memory>
#include <sqlite3.h>
#include <string>
#include <unordered_map>

namespace callbox::store {

class ChatStore final : public rooms::ChatLog, public GroupCommit::Participant
{
public:
    // Opens (or creates) the database; nullptr and a message naming the file when it cannot.
    static std::unique_ptr<ChatStore> open(const std::string &path, std::string &error);
    ~ChatStore() override;

    // Appends made inside one of `group`'s batches share its commit; `group` must outlive the
    // store (or be replaced with nullptr first).
    void set_group_commit(GroupCommit *group);

    // How much it keeps: each room's latest `per_room` messages (older ones are deleted in
    // the transaction that adds a new one; 0 keeps everything), and at most `max_bytes` of
    // database pages in use (0: no cap) — past that, append() refuses and full() is true.
    struct Limits {
        std::uint64_t per_room = 0;
        std::uint64_t max_bytes = 0;
    };
    void set_limits(Limits limits) { limits_ = limits; }

    ChatStore(const ChatStore &) = delete;
    ChatStore &operator=(const ChatStore &) = delete;

    bool append(protocol::ChatRecord &chat, std::string &error) override;
    std::vector<protocol::ChatRecord> latest(std::string_view room, std::size_t count) override;
    // Inside a GroupCommit batch, append() leaves the transaction open for this to commit.
    bool commit_batch(std::string &error) override;
    // The last refusal was for want of room (the byte cap, or SQLITE_FULL from a full disk).
    bool full() const override { return full_; }
    // Bytes of database pages in use (free pages, which SQLite reuses, not counted).
    std::uint64_t used_bytes();
    // The newest stored message's timestamp (ms since the epoch); 0 when there is none.
    std::int64_t newest_ts();

    std::uint64_t stored_messages() const { return appended_; }

private:
    struct StatementFinalize {
        void operator()(sqlite3_stmt *s) const { sqlite3_finalize(s); }
    };
    using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalize>;

    explicit ChatStore(sqlite3 *db) : db_(db) {}
    bool prepare(std::string &error);
    std::uint64_t last_seq(const std::string &room);
    // Deletes what the room no longer keeps and inserts `chat` as `seq`; SQLite's result code.
    int write(const protocol::ChatRecord &chat, std::uint64_t seq);
    // Says why a statement failed; a full disk or the cap make full() true.
    bool fail(int rc, const char *what, std::string &error);

    sqlite3 *db_;
    Statement insert_;
    Statement latest_;
    Statement max_seq_;
    Statement prune_;
    Statement used_pages_;
    Statement begin_;
    Statement commit_;
    Statement rollback_;
    GroupCommit *group_ = nullptr; // the hub's, when set
    bool in_transaction_ = false;
    std::uint64_t uncommitted_ = 0;
    std::unordered_map<std::string, std::uint64_t> last_seq_;
    std::uint64_t appended_ = 0;
    Limits limits_;
    std::uint64_t page_size_ = 4096;
    bool full_ = false;
    int batch_lost_ = SQLITE_OK; // SQLite rolled the open batch back after this error
};

} // namespace callbox::store
