// The record of processing (docs/security.md#records-of-processing): from the config and the
// data, which categories of personal data come from which sources, where supportpipe keeps
// them (and how: encrypted, redacted, pseudonymised, for how long), which destinations receive
// them, and which token scopes can read them. What a data-protection officer asks for.
//
//   ASSIGN_OR_RETURN(ProcessingReport r, BuildProcessingReport(config, log, wh, store, now));
//   std::cout << RenderMarkdown(r);   // or RenderJson(r)
#pragma once

#include <string>
#include <vector>

#include "common/config.h"
#include "log/event_log.h"
#include "security/store.h"
#include "warehouse/warehouse.h"

namespace supportpipe::server {

struct ProcessingReport {
  struct Source {
    std::string name, vendor;
    std::vector<std::string> arrives_by;  // signed webhooks, API sync, import, ...
    std::vector<std::string> categories;  // personal data it carries
    int64_t tickets = 0;                  // fact_ticket
    int64_t customers = 0, with_email = 0, with_phone = 0, with_name = 0;  // dim_customer
    int64_t messages_with_body = 0;                                        // fact_message
    int64_t context_events = 0;                                            // fact_customer_event
  };
  struct Store {
    std::string name, location;
    std::vector<std::string> categories;
    std::vector<std::string> protection;  // encryption, redaction, pseudonymisation, ...
    std::string retention;
    int64_t records = -1;  // rows or records held now; -1 = not counted
  };
  struct Destination {
    std::string name, host, format;
    std::vector<std::string> events;
    std::vector<std::string> categories;  // what those events can carry
  };
  struct Access {
    std::string scope, can_read;
    int64_t active_tokens = 0;
  };
  std::string generated_at, config_path, data_dir;
  std::vector<Source> sources;
  std::vector<Store> stores;
  std::vector<Destination> destinations;
  std::vector<Access> access;
  std::vector<std::string> rights;  // erasure, audit, lineage
};

Result<ProcessingReport> BuildProcessingReport(const Config& config, log::EventLog& log,
                                               warehouse::Warehouse& warehouse,
                                               security::Store& store, TimeMicros now);
std::string RenderMarkdown(const ProcessingReport& report);
std::string RenderJson(const ProcessingReport& report);

}  // namespace supportpipe::server
