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

    // WAL: a commit is one append to the log. FULL sync fsyncs the log at every commit, so a
    // message is on the card before anyone is sent it and survives a power cut, not only a
    // crash of the daemon; the group commit makes that one fsync per batch, not per message.
    // The log is cut back to 4 MiB after each checkpoint, so the data dir does not keep a
    // burst's worth of log.
    char *msg = nullptr;
    rc = sqlite3_exec(db,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                      "PRAGMA journal_size_limit=4194304;",
                      nullptr, nullptr, &msg);
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
    sqlite3_stmt *page_size = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &page_size, nullptr) == SQLITE_OK &&
        sqlite3_step(page_size) == SQLITE_ROW)
        store->page_size_ = static_cast<std::uint64_t>(sqlite3_column_int64(page_size, 0));
    sqlite3_finalize(page_size);
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
    prune_.reset();
    used_pages_.reset();
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
           make(prune_, "DELETE FROM chat WHERE room = ?1 AND seq <= ?2") &&
           make(used_pages_, "SELECT (SELECT page_count FROM pragma_page_count()) - "
                             "(SELECT freelist_count FROM pragma_freelist_count())") &&
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

std::uint64_t ChatStore::used_bytes()
{
    sqlite3_stmt *s = used_pages_.get();
    std::uint64_t pages = 0;
    if (sqlite3_step(s) == SQLITE_ROW)
        pages = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
    sqlite3_reset(s);
    return pages * page_size_;
}

bool ChatStore::fail(int rc, const char *what, std::string &error)
{
    full_ = (rc & 0xff) == SQLITE_FULL;
    error = full_ ? "the disk is full" : sqlite3_errmsg(db_);
    g_warning("%s failed: %s", what, error.c_str());
    return false;
}

bool ChatStore::commit_batch(std::string &error)
{
    if (!in_transaction_)
        return true;
    in_transaction_ = false;
    const std::uint64_t count = std::exchange(uncommitted_, 0);
    const int lost = std::exchange(batch_lost_, SQLITE_OK);
    const int rc = lost != SQLITE_OK ? lost : step_once(commit_.get());
    if (rc == SQLITE_DONE)
        return true;
    fail(rc, ("committing " + std::to_string(count) + " chat message(s)").c_str(), error);
    if (!sqlite3_get_autocommit(db_))
        step_once(rollback_.get());
    // The rolled-back messages used no seq after all: read the rooms' last seq again.
    last_seq_.clear();
    appended_ -= count;
    return false;
}

int ChatStore::write(const protocol::ChatRecord &chat, std::uint64_t seq)
{
    if (limits_.per_room && seq > limits_.per_room) {
        // The room keeps its latest per_room messages: the oldest goes in the transaction
        // that adds the new one, so the file stops growing and its free pages are reused.
        // Pruning first: if the insert then fails, the room only lost a message due to go.
        sqlite3_stmt *s = prune_.get();
        bind_text(s, 1, chat.room);
        sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(seq - limits_.per_room));
        const int rc = step_once(s);
        sqlite3_clear_bindings(s);
        if (rc != SQLITE_DONE)
            return rc;
    }
    sqlite3_stmt *s = insert_.get();
    bind_text(s, 1, chat.room);
    sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(seq));
    bind_text(s, 3, chat.from_id);
    bind_text(s, 4, chat.from_nick);
    bind_text(s, 5, chat.text);
    sqlite3_bind_int64(s, 6, chat.ts);
    const int rc = step_once(s);
    sqlite3_clear_bindings(s);
    return rc;
}

bool ChatStore::append(protocol::ChatRecord &chat, std::string &error)
{
    // In a group-commit batch the row joins one transaction that the hub commits, before it
    // sends anything, at the end of the main-loop iteration; otherwise it commits on its own.
    full_ = false;
    if (in_transaction_ && batch_lost_ != SQLITE_OK) // SQLite rolled this batch back
        return fail(batch_lost_, "storing a chat message", error);
    const bool own = !in_transaction_ && !(group_ && group_->batching());
    if (!in_transaction_) {
        if (const int rc = step_once(begin_.get()); rc != SQLITE_DONE)
            return fail(rc, "starting a chat transaction", error);
        if (!own) {
            in_transaction_ = true;
            group_->enlist(this);
        }
    }
    if (limits_.max_bytes && used_bytes() >= limits_.max_bytes) {
        if (own)
            step_once(rollback_.get());
        full_ = true;
        error = "the chat history has reached its size limit";
        g_warning("chat message in room '%s' refused: %s (%llu bytes)", chat.room.c_str(),
                  error.c_str(), static_cast<unsigned long long>(limits_.max_bytes));
        return false;
    }
    const std::uint64_t seq = last_seq(chat.room) + 1;
    int rc = write(chat, seq);
    if (own && rc == SQLITE_DONE)
        rc = step_once(commit_.get());
    if (rc != SQLITE_DONE) {
        if (own && !sqlite3_get_autocommit(db_))
            step_once(rollback_.get());
        else if (!own && sqlite3_get_autocommit(db_))
            batch_lost_ = rc; // the whole batch is gone: its commit must fail too
        return fail(rc, ("storing a chat message in room '" + chat.room + "'").c_str(), error);
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

std::int64_t ChatStore::newest_ts()
{
    sqlite3_stmt *s = nullptr;
    std::int64_t ts = 0;
    if (sqlite3_prepare_v2(db_, "SELECT MAX(ts) FROM chat", -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        ts = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return ts;
}

} // namespace callbox::store
