// GroupCommit: the list of stores holding an open transaction, and committing them.
#include "store/group-commit.hpp"

#include <algorithm>

namespace callbox::store {

void GroupCommit::enlist(Participant *p)
{
    if (std::find(enlisted_.begin(), enlisted_.end(), p) == enlisted_.end())
        enlisted_.push_back(p);
}

void GroupCommit::withdraw(Participant *p)
{
    enlisted_.erase(std::remove(enlisted_.begin(), enlisted_.end(), p), enlisted_.end());
}

bool GroupCommit::commit(std::string &error)
{
    bool ok = true;
    full_ = false;
    std::vector<Participant *> stores;
    stores.swap(enlisted_);
    for (Participant *p : stores) {
        std::string e;
        if (!p->commit_batch(e) && ok) {
            ok = false;
            full_ = p->full();
            error = std::move(e);
        }
    }
    return ok;
}

} // namespace callbox::store
