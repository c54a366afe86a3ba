#include "log/jetstream/record_codec.h"

#include <fmt/format.h>

#include <charconv>
#include <iterator>

namespace supportpipe::log {
namespace {

void PutField(std::string* out, std::string_view v) {
  fmt::format_to(std::back_inserter(*out), "{}:", v.size());
  out->append(v);
}
void PutField(std::string* out, int64_t v) { PutField(out, std::to_string(v)); }

class FieldReader {
 public:
  explicit FieldReader(std::string_view data) : rest_(data) {}
  bool Next(std::string* out) {
    size_t colon = rest_.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 10) return false;
    size_t len = 0;
    auto [p, ec] = std::from_chars(rest_.data(), rest_.data() + colon, len);
    if (ec != std::errc() || p != rest_.data() + colon || len > rest_.size() - colon - 1) {
      return false;
    }
    out->assign(rest_.substr(colon + 1, len));
    rest_.remove_prefix(colon + 1 + len);
    return true;
  }
  bool Next(int64_t* out) {
    std::string s;
    if (!Next(&s)) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && p == s.data() + s.size();
  }
  bool Next(uint64_t* out) {
    int64_t v = 0;
    if (!Next(&v) || v < 0) return false;
    *out = static_cast<uint64_t>(v);
    return true;
  }
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace

std::string EncodeRaw(const RawRecord& r, std::string_view stored_body) {
  std::string out = "r1";
  PutField(&out, r.source);
  PutField(&out, r.kind);
  PutField(&out, r.vendor);
  PutField(&out, r.delivery_id);
  PutField(&out, r.received_at);
  PutField(&out, r.headers);
  PutField(&out, stored_body);
  return out;
}

bool DecodeRaw(std::string_view data, RawRecord* r) {
  if (data.substr(0, 2) != "r1") return false;
  FieldReader f(data.substr(2));
  return f.Next(&r->source) && f.Next(&r->kind) && f.Next(&r->vendor) && f.Next(&r->delivery_id) &&
         f.Next(&r->received_at) && f.Next(&r->headers) && f.Next(&r->body) && f.done();
}

std::string EncodeEvent(const EventRecord& e) {
  std::string out = "e1";
  PutField(&out, e.source);
  PutField(&out, e.event_id);
  PutField(&out, e.ticket_id);
  PutField(&out, e.type);
  PutField(&out, e.occurred_at);
  PutField(&out, static_cast<int64_t>(e.raw_offset));
  PutField(&out, e.payload);
  return out;
}

bool DecodeEvent(std::string_view data, EventRecord* e) {
  if (data.substr(0, 2) != "e1") return false;
  FieldReader f(data.substr(2));
  return f.Next(&e->source) && f.Next(&e->event_id) && f.Next(&e->ticket_id) && f.Next(&e->type) &&
         f.Next(&e->occurred_at) && f.Next(&e->raw_offset) && f.Next(&e->payload) && f.done();
}

}  // namespace supportpipe::log
