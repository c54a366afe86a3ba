#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/pipeline_driver.h"
#include "event/codec.h"
#include "sources/decoder.h"
#include "sources/export_reader.h"

namespace supportpipe::cli {
namespace {

constexpr size_t kAppendBatch = 5000;
constexpr size_t kShownRejections = 50;

struct Totals {
  uint64_t accepted = 0, duplicate = 0, rejected = 0;
  uint64_t Events() const { return accepted + duplicate + rejected; }
};

class Importer {
 public:
  Importer(const ImportFlags& flags, const sources::ExportFormat& format, std::string vendor,
           PipelineDriver& driver, std::FILE* verdicts, uint64_t total_bytes)
      : flags_(flags),
        format_(format),
        vendor_(std::move(vendor)),
        driver_(driver),
        verdicts_(verdicts),
        progress_(format.container.empty() ? "events" : "items", total_bytes) {}

  Status File(const std::string& path) {
    std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
    if (!f) return NotFound(fmt::format("cannot open {}", path));
    Status st = format_.container.empty() ? Read(path, f) : ReadExportFile(path, f);
    if (f != stdin) std::fclose(f);
    RETURN_IF_ERROR(st);
    return Flush();
  }

  Status Flush() {
    if (pending_.empty()) return Status::Ok();
    std::vector<log::AppendResult> results;
    RETURN_IF_ERROR(driver_.log().AppendRaw(pending_, &results));
    for (size_t i = 0; i < results.size(); ++i) {
      const bool dup = results[i].outcome == log::AppendOutcome::kDuplicate;
      dup ? ++totals_.duplicate : ++totals_.accepted;
      Verdict(pending_where_[i], dup ? "duplicate" : "accepted", pending_[i].delivery_id, "", "");
    }
    pending_.clear();
    pending_where_.clear();
    if (driver_.local()) driver_.worker().NotifyRaw();
    progress_.Update(bytes_done_, totals_.Events());
    return Status::Ok();
  }

  const Totals& totals() const { return totals_; }
  void FinishProgress() { progress_.Finish(); }

 private:
  struct Where {
    std::string file;
    uint64_t line;
  };

  // Streams JSON lines; a file that starts with '[' is one JSON array read whole.
  Status Read(const std::string& path, std::FILE* f) {
    std::string buf;
    std::vector<char> chunk(4 << 20);
    uint64_t line_no = 0;
    bool first_chunk = true;
    bool array = false;
    for (;;) {
      const size_t n = std::fread(chunk.data(), 1, chunk.size(), f);
      if (n == 0) break;
      bytes_done_ += n;
      buf.append(chunk.data(), n);
      if (first_chunk) {
        const size_t p = buf.find_first_not_of(" \t\r\n");
        array = p != std::string::npos && buf[p] == '[';
        first_chunk = false;
      }
      if (array) continue;
      size_t start = 0;
      for (;;) {
        const size_t nl = buf.find('\n', start);
        if (nl == std::string::npos) break;
        ++line_no;
        RETURN_IF_ERROR(Item(path, line_no, std::string_view(buf).substr(start, nl - start)));
        start = nl + 1;
      }
      buf.erase(0, start);
    }
    if (std::ferror(f)) return Unavailable(fmt::format("read error on {}", path));
    if (array) {
      event::Batch b = event::SplitBatch(buf, {});
      if (!b.error.ok()) return InvalidArgument(b.error.message(), path);
      for (const auto& item : b.items) RETURN_IF_ERROR(Item(path, item.index + 1, item.bytes));
    } else if (!buf.empty()) {
      RETURN_IF_ERROR(Item(path, line_no + 1, buf));
    }
    return Status::Ok();
  }

  // A vendor's export: read whole, split into items, each stored as one raw record that
  // the processor decodes with the source's decoder (failures go to the dead-letter queue,
  // where `dlq replay` picks them up after a mapping fix).
  Status ReadExportFile(const std::string& path, std::FILE* f) {
    std::string content;
    std::vector<char> chunk(4 << 20);
    for (;;) {
      const size_t n = std::fread(chunk.data(), 1, chunk.size(), f);
      if (n == 0) break;
      content.append(chunk.data(), n);
    }
    if (std::ferror(f)) return Unavailable(fmt::format("read error on {}", path));
    bytes_done_ += content.size();
    const std::string kind = std::string(sources::kExportPrefix) + std::string(format_.name);
    Status st = sources::ReadExport(format_, content, [&](uint64_t line, std::string item) {
      log::RawRecord r;
      r.source = flags_.source;
      r.kind = kind;
      r.vendor = vendor_;
      // Items repeated across pages (Zendesk's time-based export) are stored once.
      r.delivery_id = sources::ExportDeliveryId(kind, item);
      r.received_at = clock_.Now();
      r.headers = fmt::format(R"({{"x-import-file":{},"x-import-line":"{}"}})",
                              event::JsonQuote(path), line);
      r.body = std::move(item);
      pending_.push_back(std::move(r));
      pending_where_.push_back({path, line});
      if (pending_.size() >= kAppendBatch) return Flush();
      return Status::Ok();
    });
    if (!st.ok()) return InvalidArgument(st.message(), path);
    return Status::Ok();
  }

  Status Item(const std::string& path, uint64_t line, std::string_view bytes) {
    while (!bytes.empty() && (bytes.back() == '\r' || bytes.back() == ' ')) bytes.remove_suffix(1);
    if (bytes.find_first_not_of(" \t") == std::string_view::npos) return Status::Ok();
    Result<event::Event> e = event::DecodeCanonical(bytes, {.now = clock_.Now()});
    if (!e.ok()) {
      ++totals_.rejected;
      if (totals_.rejected <= kShownRejections) {
        progress_.Finish();
        std::fprintf(stderr, "%s:%llu: rejected: %s%s%s\n", path.c_str(),
                     static_cast<unsigned long long>(line), e.status().field().c_str(),
                     e.status().field().empty() ? "" : ": ", e.status().message().c_str());
      } else if (totals_.rejected == kShownRejections + 1) {
        std::fprintf(stderr, "(more rejections are not shown; use --verdicts FILE for all)\n");
      }
      Verdict({path, line}, "rejected", "", e.status().field(), e.status().message());
      return Status::Ok();
    }
    log::RawRecord r;
    r.source = flags_.source;
    r.kind = std::string(sources::kKindEvent);
    r.vendor = "canonical";
    r.delivery_id = e->id;
    r.received_at = clock_.Now();
    r.headers =
        fmt::format(R"({{"x-import-file":{},"x-import-line":"{}"}})", event::JsonQuote(path), line);
    r.body = std::string(bytes);
    pending_.push_back(std::move(r));
    pending_where_.push_back({path, line});
    if (pending_.size() >= kAppendBatch) return Flush();
    return Status::Ok();
  }

  void Verdict(const Where& w, const char* status, const std::string& id,
               const std::string& pointer, const std::string& reason) {
    if (!verdicts_) return;
    std::string line = fmt::format(R"({{"file":{},"line":{},"status":"{}")",
                                   event::JsonQuote(w.file), w.line, status);
    if (!id.empty()) line += ",\"id\":" + event::JsonQuote(id);
    if (!reason.empty()) {
      line += fmt::format(R"(,"error":{{"pointer":{},"reason":{}}})", event::JsonQuote(pointer),
                          event::JsonQuote(reason));
    }
    line += "}\n";
    std::fwrite(line.data(), 1, line.size(), verdicts_);
  }

  const ImportFlags& flags_;
  const sources::ExportFormat& format_;
  const std::string vendor_;
  PipelineDriver& driver_;
  std::FILE* verdicts_;
  SystemClock clock_;
  Progress progress_;
  Totals totals_;
  uint64_t bytes_done_ = 0;
  std::vector<log::RawRecord> pending_;
  std::vector<Where> pending_where_;
};

}  // namespace

int RunImport(const ImportFlags& flags) {
  auto cfg = ResolveConfig(flags.storage);
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  if (!IsValidSourceName(flags.source)) {
    return Fail("--source", InvalidArgument("must be 1-64 letters, digits, '-', '_' or '.'"));
  }
  const sources::ExportFormat* format = sources::FindExportFormat(flags.format);
  if (!format) {
    std::string names;
    for (const auto& f : sources::ExportFormats()) {
      names += (names.empty() ? "" : ", ") + std::string(f.name);
    }
    return Fail("--format", InvalidArgument("unknown format; use one of " + names));
  }
  const SourceConfig* source = cfg->FindSource(flags.source);
  std::string vendor = source ? source->vendor : std::string(format->vendor);
  if (format->container.empty()) {
    vendor = "canonical";
    if (source && source->vendor != "canonical" && source->vendor != "standard" &&
        source->vendor != "github") {
      return Fail("--source",
                  InvalidArgument("source \"" + flags.source + "\" has vendor " + source->vendor +
                                  "; use --format with one of its export formats"));
    }
  } else if (source && source->vendor != format->vendor) {
    return Fail("--format", InvalidArgument(fmt::format(
                                "--format {} reads {} exports, but source \"{}\" has vendor {}",
                                format->name, format->vendor, flags.source, source->vendor)));
  } else if (!source && format->vendor == "generic") {
    return Fail("--source", InvalidArgument(fmt::format(
                                "--format {} reads columns through a [[source]]'s [mapping]; "
                                "declare source \"{}\" with vendor \"generic\" in the config",
                                format->name, flags.source)));
  }
  uint64_t total_bytes = 0;
  for (const auto& f : flags.files) {
    std::error_code ec;
    if (f != "-") {
      const auto size = std::filesystem::file_size(f, ec);
      if (ec) return Fail("cannot read " + f, NotFound(ec.message()));
      total_bytes += size;
    }
  }
  std::FILE* verdicts = nullptr;
  if (!flags.verdicts_path.empty()) {
    verdicts = flags.verdicts_path == "-" ? stdout : std::fopen(flags.verdicts_path.c_str(), "w");
    if (!verdicts) return Fail("--verdicts", Unavailable("cannot write " + flags.verdicts_path));
  }
  auto driver = PipelineDriver::Open(*cfg);
  if (!driver.ok()) return Fail("cannot open storage", driver.status());
  if (!(*driver)->local()) {
    std::fprintf(stderr,
                 "a running server holds the worker lock (%s): it will process what is "
                 "imported\n",
                 cfg->storage.jetstream() ? "shared through [storage] state"
                                          : (cfg->storage.data_dir + "/worker.lock").c_str());
  }
  const auto start = std::chrono::steady_clock::now();
  auto letters_before = (*driver)->log().CountDeadLetters("");
  if (!letters_before.ok())
    return Fail("cannot read the dead-letter queue", letters_before.status());
  Importer importer(flags, *format, vendor, **driver, verdicts, total_bytes);
  for (const auto& f : flags.files) {
    Status st = importer.File(f);
    if (!st.ok()) {
      importer.FinishProgress();
      if (verdicts && verdicts != stdout) std::fclose(verdicts);
      return Fail("import " + f, st);
    }
  }
  importer.FinishProgress();
  if (verdicts && verdicts != stdout) std::fclose(verdicts);
  const Totals& t = importer.totals();
  const double append_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(
      stderr, "read %s %s from %zu file%s in %.1fs: %s accepted, %s duplicate, %s rejected\n",
      Thousands(t.Events()).c_str(), format->container.empty() ? "events" : "items",
      flags.files.size(), flags.files.size() == 1 ? "" : "s", append_s,
      Thousands(t.accepted).c_str(), Thousands(t.duplicate).c_str(), Thousands(t.rejected).c_str());
  if (!flags.no_wait) {
    Status st = (*driver)->WaitUntilLoaded();
    if (!st.ok()) return Fail("waiting for the warehouse", st);
    const double total_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "loaded into the warehouse in %.1fs (%s %s/s end to end)\n", total_s,
                 Thousands(static_cast<uint64_t>(t.Events() / std::max(total_s, 1e-6))).c_str(),
                 format->container.empty() ? "events" : "items");
    auto letters_after = (*driver)->log().CountDeadLetters("");
    if (!letters_after.ok()) return Fail("counting dead letters", letters_after.status());
    const int64_t new_letters = *letters_after - *letters_before;
    if (new_letters > 0) {
      std::fprintf(stderr,
                   "%s item%s could not be mapped and went to the dead-letter queue: see "
                   "`supportpipe dlq list`, fix the mapping, then `supportpipe dlq replay --all`\n",
                   Thousands(new_letters).c_str(), new_letters == 1 ? "" : "s");
      return kExitPartial;
    }
  }
  return t.rejected ? kExitPartial : kExitOk;
}

}  // namespace supportpipe::cli
