// The data directory: where the chat database and the generated TLS identity live.
#pragma once

#include <string>

namespace callbox::store {

// Creates `dir` (mode 0750, with its parents) unless it exists; false with a message when it
// cannot be made or is not a folder.
bool prepare_data_dir(const std::string &dir, std::string &error);

} // namespace callbox::store
