// WHEP's pure parts (media/whep-sdp.cpp): the device's candidates put into its answer, and the
// candidates of a trickle PATCH (an application/trickle-ice-sdpfrag body, RFC 8840) read out of it.
#pragma once

#include "protocol/messages.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace callbox::media {

// `answer` with "a=candidate:…" lines for `candidates` ("candidate:…") and
// a=end-of-candidates at the end of its first m-section (the bundle's transport).
std::string answer_with_candidates(std::string_view answer,
                                   const std::vector<std::string> &candidates);

// The candidates of an SDP fragment, each with the a=mid of its m-section; nothing (and
// `error`) when the fragment is not one.
std::optional<std::vector<protocol::IceCandidate>> read_sdpfrag(std::string_view fragment,
                                                                std::string &error);

} // namespace callbox::media
