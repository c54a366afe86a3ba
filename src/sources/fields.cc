#include "sources/fields.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "common/time.h"
#include "event/codec.h"
#include "sources/auth.h"

namespace supportpipe::sources {

Fields::Fields(element value, std::string pointer, std::string prefix)
    : pointer_(std::move(pointer)), prefix_(std::move(prefix)) {
  valid_ = value.get_object().get(obj_) == simdjson::SUCCESS;
}

std::string Fields::PointerTo(std::string_view key) const {
  std::string out = pointer_ + "/";
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

bool Fields::Used(std::string_view key) const {
  return std::find(taken_.begin(), taken_.end(), key) != taken_.end();
}

std::optional<element> Fields::Take(std::string_view key) {
  if (!valid_) return std::nullopt;
  if (!Used(key)) taken_.emplace_back(key);
  element v;
  if (obj_[key].get(v) || v.is_null()) return std::nullopt;
  return v;
}

std::optional<std::string> Fields::Text(std::string_view key) {
  std::optional<element> v = Take(key);
  if (!v) return std::nullopt;
  switch (v->type()) {
    case simdjson::dom::element_type::STRING:
      return std::string(v->get_string().value());
    case simdjson::dom::element_type::INT64:
      return std::to_string(v->get_int64().value());
    case simdjson::dom::element_type::UINT64:
      return std::to_string(v->get_uint64().value());
    case simdjson::dom::element_type::DOUBLE:
      return fmt::format("{}", v->get_double().value());
    case simdjson::dom::element_type::BOOL:
      return v->get_bool().value() ? "true" : "false";
    default:
      return std::nullopt;
  }
}

std::optional<int64_t> Fields::Int(std::string_view key) {
  std::optional<element> v = Take(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64().value();
  if (v->is_string()) return ParseInteger(v->get_string().value());
  return std::nullopt;
}

std::optional<bool> Fields::Bool(std::string_view key) {
  std::optional<element> v = Take(key);
  if (!v || !v->is_bool()) return std::nullopt;
  return v->get_bool().value();
}

Result<std::optional<TimeMicros>> Fields::Time(std::string_view key) {
  std::optional<element> v = Take(key);
  if (!v) return std::optional<TimeMicros>();
  Result<TimeMicros> t = InvalidArgument("");
  if (v->is_number()) {
    t = FromUnixNumber(v->get_double().value());
  } else if (v->is_string()) {
    const std::string_view s = v->get_string().value();
    const std::optional<double> n = ParseNumber(s);
    t = n ? FromUnixNumber(*n) : ParseRfc3339(s);
  } else {
    return Bad(key, "must be a timestamp (RFC 3339 or Unix time)");
  }
  if (!t.ok()) return Bad(key, t.status().message());
  return std::optional<TimeMicros>(*t);
}

Fields Fields::Object(std::string_view key) {
  std::optional<element> v = Take(key);
  if (!v) return Fields();
  return Fields(*v, PointerTo(key), prefix_ + std::string(key) + ".");
}

std::vector<element> Fields::Array(std::string_view key) {
  std::optional<element> v = Take(key);
  return v ? Elements(*v) : std::vector<element>();
}

std::vector<element> Elements(element v) {
  std::vector<element> out;
  simdjson::dom::array arr;
  if (v.get_array().get(arr)) return out;
  for (element e : arr) out.push_back(e);
  return out;
}

void Fields::Known(std::initializer_list<std::string_view> keys) {
  for (auto k : keys) known_.emplace_back(k);
}

void Fields::KeepRest(event::Event* e) const {
  if (!valid_) return;
  for (auto field : obj_) {
    const std::string_view k = field.key;
    if (Used(k)) continue;
    std::string name = prefix_ + std::string(k);
    e->attributes.emplace_back(name, simdjson::minify(element(field.value)));
    if (!all_known_ && std::find(known_.begin(), known_.end(), k) == known_.end()) {
      e->drift.push_back(std::move(name));
      ++e->drift_fields;
    }
  }
}

Status Fields::Missing(std::string_view key) const {
  return InvalidArgument("is required", PointerTo(key));
}

Status Fields::Bad(std::string_view key, std::string message) const {
  return InvalidArgument(std::move(message), PointerTo(key));
}

Result<element> ParseBody(std::string_view body) {
  if (body.empty()) return InvalidArgument("the body is empty");
  thread_local simdjson::dom::parser parser;
  element root;
  if (auto err = parser.parse(body.data(), body.size()).get(root)) {
    if (err == simdjson::UTF8_ERROR) return InvalidArgument("the body is not valid UTF-8");
    return InvalidArgument(
        fmt::format("the body is not valid JSON: {}", simdjson::error_message(err)));
  }
  return root;
}

Decoded DecodeEach(std::string_view body,
                   const std::function<Result<std::vector<event::Event>>(element)>& read) {
  Decoded out;
  Result<element> root = ParseBody(body);
  if (!root.ok()) {
    out.error = root.status();
    return out;
  }
  Result<std::vector<event::Event>> events = read(*root);
  if (!events.ok()) {
    out.items.emplace_back(0, events.status());
    return out;
  }
  for (auto& e : *events) out.items.emplace_back(0, std::move(e));
  if (events->empty()) out.ignored = 1;
  return out;
}

Decoded DecodeItems(
    std::string_view body, const std::string& items_pointer,
    const std::function<Result<std::vector<event::Event>>(element, const std::string&)>& read) {
  Decoded out;
  Result<element> root = ParseBody(body);
  if (!root.ok()) {
    out.error = root.status();
    return out;
  }
  element list = *root;
  if (!items_pointer.empty() && (root->at_pointer(items_pointer).get(list) || !list.is_array())) {
    out.error = InvalidArgument("must be an array of items", items_pointer);
    return out;
  }
  const bool many = list.is_array();
  const std::vector<element> items = many ? Elements(list) : std::vector{list};
  for (size_t i = 0; i < items.size(); ++i) {
    const int64_t index = static_cast<int64_t>(i);
    Result<std::vector<event::Event>> events =
        read(items[i], many ? fmt::format("{}/{}", items_pointer, i) : "");
    if (!events.ok()) {
      out.items.emplace_back(index, events.status());
      continue;
    }
    for (auto& e : *events) out.items.emplace_back(index, std::move(e));
    if (events->empty()) ++out.ignored;
  }
  return out;
}

event::Event NewEvent(std::string id, std::string type, TimeMicros at, std::string ticket_id) {
  event::Event e;
  e.id = std::move(id);
  e.type = std::move(type);
  e.occurred_at = at;
  if (!ticket_id.empty()) e.ticket.emplace().id = std::move(ticket_id);
  return e;
}

std::optional<double> ParseNumber(std::string_view text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

Result<TimeMicros> ParseLooseTime(std::string_view text) {
  std::string s(text);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  if (s.empty()) return InvalidArgument("is empty where a timestamp was expected");
  if (std::optional<double> n = ParseNumber(s)) return FromUnixNumber(*n);
  if (s.size() >= 16 && s[10] == ' ') s[10] = 'T';
  // "...T10:15" -> "...T10:15:00"
  if (s.size() == 16 ||
      (s.size() > 16 && (s[16] == ' ' || s[16] == 'Z' || s[16] == '+' || s[16] == '-'))) {
    s.insert(16, ":00");
  }
  if (s.size() > 19) {
    std::string zone = s.substr(19);
    std::string frac;
    if (!zone.empty() && zone[0] == '.') {
      const size_t end = zone.find_first_not_of("0123456789", 1);
      frac = zone.substr(0, end);
      zone = end == std::string::npos ? "" : zone.substr(end);
    }
    while (!zone.empty() && zone.front() == ' ') zone.erase(0, 1);
    if (zone == "UTC" || zone == "GMT") zone = "Z";
    if (zone.size() == 5 && (zone[0] == '+' || zone[0] == '-')) zone.insert(3, ":");
    s = s.substr(0, 19) + frac + zone;
  }
  if (s.size() == 19 || (s.size() > 19 && s[19] == '.' &&
                         s.find_first_not_of("0123456789", 20) == std::string::npos)) {
    s += "Z";
  }
  Result<TimeMicros> t = ParseRfc3339(s);
  if (!t.ok()) return InvalidArgument(fmt::format("\"{}\" is not a timestamp we can read", text));
  return t;
}

std::vector<std::string> SplitTags(std::string_view text) {
  std::vector<std::string> out;
  const bool commas = text.find(',') != std::string_view::npos;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(cur);
    cur.clear();
  };
  for (char c : text) {
    if (commas ? c == ',' : (c == ' ' || c == '\t' || c == '\n')) {
      flush();
    } else if (!(commas && (c == ' ' || c == '\t') && cur.empty())) {
      cur += c;
    }
  }
  flush();
  for (auto& t : out) {
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.pop_back();
  }
  return out;
}

std::string Seconds(TimeMicros t) { return std::to_string(t / 1000000); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> StringsOf(const std::vector<element>& items, std::string_view key) {
  std::vector<std::string> out;
  for (element e : items) {
    element v = e;
    if (!key.empty() && e.is_object()) {
      if (e[key].get(v)) continue;
    }
    if (v.is_string()) {
      out.emplace_back(v.get_string().value());
    } else if (v.is_int64()) {
      out.push_back(std::to_string(v.get_int64().value()));
    }
  }
  return out;
}

Status Unmapped(const std::string& pointer, std::string_view what, std::string_view value) {
  return InvalidArgument(fmt::format("{} \"{}\" has no canonical mapping", what, value), pointer);
}

}  // namespace supportpipe::sources
