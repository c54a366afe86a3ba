// Test helpers for verifiers and decoders.
//
//   FakeRequest r{{{"x-hub-signature", "sha1=..."}}, body};
//   auto ok = verifier->Verify(r.Get(), now);
//   std::vector<event::Event> events = DecodeOk(*decoder, body);
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "event/codec.h"
#include "sources/decoder.h"
#include "sources/registry.h"
#include "sources/verifier.h"

namespace supportpipe::sources {

struct FakeRequest {
  std::map<std::string, std::string> headers;
  std::string body;
  std::string target = "/v1/webhooks/s";
  std::string method = "POST";

  WebhookRequest Get() const {
    return {method, target,
            [this](std::string_view n) -> std::string_view {
              auto it = headers.find(std::string(n));
              return it == headers.end() ? std::string_view() : std::string_view(it->second);
            },
            body};
  }
};

// A file of tests/fixtures/sources.
inline std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(SP_FIXTURES) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline SourceConfig Source(std::string vendor, std::vector<std::string> secrets = {"secret"}) {
  SourceConfig s;
  s.name = "s";
  s.vendor = std::move(vendor);
  s.secrets = std::move(secrets);
  return s;
}

inline constexpr TimeMicros kTestNow = 1796030102LL * 1000000;  // 2026-11-30T09:15:02Z

inline Decoded Run(const Decoder& d, std::string_view body, std::string_view kind,
                   std::string_view headers) {
  return d.Decode(
      {.source = "s", .kind = kind, .headers = headers, .body = body, .received_at = kTestNow});
}

// Decodes and checks every event as the processor does; fails the test on any error.
inline std::vector<event::Event> DecodeOk(const Decoder& d, std::string_view body,
                                          std::string_view kind = kWebhook,
                                          std::string_view headers = "{}") {
  Decoded out = Run(d, body, kind, headers);
  EXPECT_TRUE(out.error.ok()) << out.error.ToString();
  std::vector<event::Event> events;
  for (auto& item : out.items) {
    Status st = item.status;
    if (st.ok()) st = event::CheckEvent(&item.event, {.now = kTestNow});
    EXPECT_TRUE(st.ok()) << "item " << item.index << ": " << st.ToString();
    if (st.ok()) events.push_back(std::move(item.event));
  }
  return events;
}

// The first item's failure (the test fails when everything decodes).
inline Status DecodeError(const Decoder& d, std::string_view body, std::string_view kind = kWebhook,
                          std::string_view headers = "{}") {
  Decoded out = Run(d, body, kind, headers);
  if (!out.error.ok()) return out.error;
  for (auto& item : out.items) {
    if (!item.status.ok()) return item.status;
  }
  ADD_FAILURE() << "expected a decode failure";
  return Status::Ok();
}

// The value of a change, or "" when the event has none for the field.
inline std::string ChangeTo(const event::Event& e, std::string_view field) {
  const event::Change* c = e.FindChange(field);
  return c && c->to_text ? *c->to_text : "";
}

}  // namespace supportpipe::sources
