// libFuzzer target: one vendor's decoder (SP_FUZZ_VENDOR) on attacker-controlled bodies.
// The first input byte picks the delivery kind among the vendor's (webhook, or one of its
// export formats); for Help Scout the first line is the X-HelpScout-Event header.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "event/codec.h"
#include "sources/decoder.h"
#include "sources/registry.h"

using namespace supportpipe;

namespace {

std::unique_ptr<sources::Decoder> Make() {
  SourceConfig s;
  s.name = "fuzz";
  s.vendor = SP_FUZZ_VENDOR;
  s.agent_ids = {"UAGENT1"};
  if (s.vendor == "generic") {
    s.mapping.items = "/items";
    s.mapping.fields = {{"id", "/id"},
                        {"type", "/type"},
                        {"occurred_at", "/at"},
                        {"ticket.id", "/t/id"},
                        {"ticket.status", "/t/status"},
                        {"ticket.tags", "/t/tags"},
                        {"message.body", "/m/body"},
                        {"message.author_role", "/m/role"},
                        {"csat.rating", "/r"}};
    s.mapping.values = {{"ticket.status", {{"waiting", "pending"}}}};
  }
  return std::move(sources::MakeDecoder(s)).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto decoder = Make();
  static const std::vector<std::string> kinds = [] {
    std::vector<std::string> k = {std::string(sources::kWebhook)};
    for (const auto& f : sources::ExportFormats()) {
      if (f.vendor == SP_FUZZ_VENDOR) k.push_back("export:" + std::string(f.name));
    }
    return k;
  }();
  if (size == 0) return 0;
  const std::string& kind = kinds[data[0] % kinds.size()];
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string headers = "{}";
  if (std::string_view(SP_FUZZ_VENDOR) == "helpscout") {
    const size_t nl = body.find('\n');
    headers = "{\"x-helpscout-event\":" + event::JsonQuote(body.substr(0, nl)) + "}";
    body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
  }
  sources::Decoded out = decoder->Decode(
      {.source = "fuzz", .kind = kind, .headers = headers, .body = body, .received_at = 1});
  for (auto& item : out.items) {
    if (!item.status.ok()) continue;
    // What the processor does next must hold for anything a decoder produced.
    if (event::CheckEvent(&item.event, {.now = 1}).ok()) {
      (void)event::EncodeEvent(item.event);
    }
  }
  return 0;
}
