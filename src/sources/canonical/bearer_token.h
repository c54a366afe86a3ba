// Vendor "canonical": canonical events posted by any system, authenticated with
// "Authorization: Bearer <token>" (two tokens accepted during rotation).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sources/verifier.h"

namespace supportpipe::sources {

// True when the Authorization header carries one of the tokens (constant-time).
bool BearerTokenMatches(std::string_view authorization, const std::vector<std::string>& tokens);

std::unique_ptr<Verifier> MakeBearerTokenVerifier(std::vector<std::string> tokens);

}  // namespace supportpipe::sources
