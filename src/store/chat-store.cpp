// ChatStore: schema, WAL set-up, per-room sequence numbers and the latest-N history query.
#include "store/chat-store.hpp"

#include <glib.h>

#include <algorithm>
#include <utility>

namespace callbox::store {

namespace {

constexpr const char *kSchema = R"sql(
CREATE TABLE IF NOT EXISTS chat (
    room    TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    from_id TEXT    NOT NULL,
    nick    TEXT    NOT NULL,
    text    TEXT    NOT NULL,
    ts      INTEGER NOT NULL,
    PRIMARY KEY (room, seq)
) WITHOUT ROWID;
)sql";

std::string_view column_text(sqlite3_stmt *s, int column)
{
    auto *text = reinterpret_cast<const char *>(sqlite3_column_text(s, column));
    return text ? std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(s, column)))
                : std::string_view();
}

void bind_text(sqlite3_stmt *s, int index, std::string_view text)
{
    sqlite3_bind_text(s, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

} // namespace

std::unique_ptr<ChatStore> ChatStore::open(const std::string &path, std::string &error)
{
    sqlite3 *db = nullptr;
    int rc =
        sqlite3_open_v2(path.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    std::unique_ptr<ChatStore> store(new ChatStore(db));
    if (rc != SQLITE_OK) {
        error = "chat database " + path + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        return nullptr;
    }
    sqlite3_busy_timeout(db, 2000);
    sqlite3_extended_result_codes(db, 1);

    // WAL: a commit is one append to the log; NORMAL sync survives a crash of the daemon
    // (the kernel keeps the write), and costs no fsync per message on an SD card.
    char *msg = nullptr;
    rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr,
                      &msg);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, kSchema, nullptr, nullptr, &msg);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "PRAGMA quick_check(1);", nullptr, nullptr, &msg);
    if (rc != SQLITE_OK) {
        error = "chat database " + path + " cannot be used: " + (msg ? msg : sqlite3_errmsg(db)) +
                " (move the file away to start with an empty history)";
        sqlite3_free(msg);
        return nullptr;
    }
    if (!store->prepare(error)) {
        error = "chat database " + path + ": " + error;
        return nullptr;
    }
    return store;
}

void ChatStore::set_group_commit(GroupCommit *group)
{
    if (group_)
        group_->withdraw(this);
    group_ = group;
}

ChatStore::~ChatStore()
{
    if (in_transaction_) {
        std::string error;
        commit_batch(error);
    }
    set_group_commit(nullptr);
    begin_.reset();
    commit_.reset();
    rollback_.reset();
    insert_.reset();
    latest_.reset();
    max_seq_.reset();
    sqlite3_close_v2(db_);
}

bool ChatStore::prepare(std::string &error)
{
    auto make = [this, &error](Statement &out, const char *sql) {
        sqlite3_stmt *s = nullptr;
        if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
            error = sqlite3_errmsg(db_);
            return false;
        }
        out.reset(s);
        return true;
    };
    return make(insert_, "INSERT INTO chat (room, seq, from_id, nick, text, ts) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)") &&
           make(latest_, "SELECT seq, from_id, nick, text, ts FROM chat WHERE room = ?1 "
                         "ORDER BY seq DESC LIMIT ?2") &&
           make(max_seq_, "SELECT max(seq) FROM chat WHERE room = ?1") &&
           make(begin_, "BEGIN IMMEDIATE") && make(commit_, "COMMIT") &&
           make(rollback_, "ROLLBACK");
}

std::uint64_t ChatStore::last_seq(const std::string &room)
{
    auto it = last_seq_.find(room);
    if (it != last_seq_.end())
        return it->second;
    sqlite3_stmt *s = max_seq_.get();
    bind_text(s, 1, room);
    std::uint64_t seq = 0;
    if (sqlite3_step(s) == SQLITE_ROW)
        seq = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    last_seq_.emplace(room, seq);
    return seq;
}

namespace {

int step_once(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc;
}

} // namespace

bool ChatStore::commit_batch(std::string &error)
{
    if (!in_transaction_)
        return true;
    in_transaction_ = false;
    const std::uint64_t count = std::exchange(uncommitted_, 0);
    if (step_once(commit_.get()) == SQLITE_DONE)
        return true;
    error = sqlite3_errmsg(db_);
    g_warning("committing %llu chat message(s) failed: %s", static_cast<unsigned long long>(count),
              error.c_str());
    if (!sqlite3_get_autocommit(db_))
        step_once(rollback_.get());
    // The rolled-back messages used no seq after all: read the rooms' last seq again.
    last_seq_.clear();
    appended_ -= count;
    return false;
}

bool ChatStore::append(protocol::ChatRecord &chat, std::string &error)
{
    // In a group-commit batch the row joins one transaction that the hub commits, before it
    // sends anything, at the end of the main-loop iteration; otherwise it commits on its own.
    if (group_ && group_->batching() && !in_transaction_) {
        if (step_once(begin_.get()) != SQLITE_DONE) {
            error = sqlite3_errmsg(db_);
            g_warning("starting a chat transaction failed: %s", error.c_str());
            return false;
        }
        in_transaction_ = true;
        group_->enlist(this);
    }
    std::uint64_t seq = last_seq(chat.room) + 1;
    sqlite3_stmt *s = insert_.get();
    bind_text(s, 1, chat.room);
    sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(seq));
    bind_text(s, 3, chat.from_id);
    bind_text(s, 4, chat.from_nick);
    bind_text(s, 5, chat.text);
    sqlite3_bind_int64(s, 6, chat.ts);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) {
        error = sqlite3_errmsg(db_);
        g_warning("storing a chat message in room '%s' failed: %s", chat.room.c_str(),
                  error.c_str());
        return false;
    }
    chat.seq = seq;
    last_seq_[chat.room] = seq;
    ++appended_;
    if (in_transaction_) {
        ++uncommitted_;
        group_->appended();
    }
    return true;
}

std::vector<protocol::ChatRecord> ChatStore::latest(std::string_view room, std::size_t count)
{
    std::vector<protocol::ChatRecord> out;
    if (count == 0)
        return out;
    sqlite3_stmt *s = latest_.get();
    bind_text(s, 1, room);
    sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(count));
    while (sqlite3_step(s) == SQLITE_ROW) {
        out.push_back(protocol::ChatRecord{
            std::string(room), static_cast<std::uint64_t>(sqlite3_column_int64(s, 0)),
            std::string(column_text(s, 1)), std::string(column_text(s, 2)),
            std::string(column_text(s, 3)), sqlite3_column_int64(s, 4)});
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    std::reverse(out.begin(), out.end());
    return out;
}

} // namespace callbox::store
