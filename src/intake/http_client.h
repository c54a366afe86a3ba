// A small blocking HTTP/1.1 client (Boost.Beast) for connectors that pull from vendors'
// APIs. https:// verifies the server's certificate against the system's CAs and its
// host name; http:// is for local servers (tests, a proxy on loopback).
//
//   ASSIGN_OR_RETURN(FetchResponse r, Fetch({.url = "https://acme.zendesk.com/api/v2/..."
//                                            .headers = {{"Authorization", auth}}}));
//   if (r.status == 429) Sleep(r.Header("retry-after"));
//
// Thread-safe (no shared state).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace supportpipe::intake {

struct FetchRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int timeout_ms = 30000;  // for the whole exchange: connect, TLS, send and read
  std::string ca_file;     // https: a PEM file of CAs trusted besides the system's
  size_t max_body_bytes = 64 << 20;
};

struct FetchResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  std::string_view Header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) return v;
    }
    return {};
  }
};

// Unavailable for network failures and timeouts (worth retrying); InvalidArgument for a
// URL this client cannot use.
Result<FetchResponse> Fetch(const FetchRequest& request);

}  // namespace supportpipe::intake
