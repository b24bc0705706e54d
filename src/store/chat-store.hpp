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

    ChatStore(const ChatStore &) = delete;
    ChatStore &operator=(const ChatStore &) = delete;

    bool append(protocol::ChatRecord &chat, std::string &error) override;
    std::vector<protocol::ChatRecord> latest(std::string_view room, std::size_t count) override;
    // Inside a GroupCommit batch, append() leaves the transaction open for this to commit.
    bool commit_batch(std::string &error) override;

    std::uint64_t stored_messages() const { return appended_; }

private:
    struct StatementFinalize {
        void operator()(sqlite3_stmt *s) const { sqlite3_finalize(s); }
    };
    using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalize>;

    explicit ChatStore(sqlite3 *db) : db_(db) {}
    bool prepare(std::string &error);
    std::uint64_t last_seq(const std::string &room);

    sqlite3 *db_;
    Statement insert_;
    Statement latest_;
    Statement max_seq_;
    Statement begin_;
    Statement commit_;
    Statement rollback_;
    GroupCommit *group_ = nullptr; // the hub's, when set
    bool in_transaction_ = false;
    std::uint64_t uncommitted_ = 0;
    std::unordered_map<std::string, std::uint64_t> last_seq_;
    std::uint64_t appended_ = 0;
};

} // namespace callbox::store
