#include "sources/freshdesk/freshdesk.h"

#include "sources/generic/mapping.h"
#include "sources/generic/template.h"

namespace supportpipe::sources {

MappingConfig FreshdeskMapping() {
  MappingConfig m = TemplateMapping();
  m.values = {
      {"ticket.status",
       {{"2", "open"},
        {"3", "pending"},
        {"4", "solved"},
        {"5", "closed"},
        {"resolved", "solved"},
        {"waiting on customer", "pending"},
        {"waiting on third party", "hold"}}},
      {"ticket.priority",
       {{"1", "low"}, {"2", "normal"}, {"3", "high"}, {"4", "urgent"}, {"medium", "normal"}}},
      {"ticket.channel",
       {{"1", "email"},
        {"2", "web"},
        {"3", "phone"},
        {"7", "chat"},
        {"9", "web"},
        {"10", "email"},
        {"portal", "web"},
        {"feedback widget", "web"},
        {"outbound email", "email"}}},
  };
  return m;
}

Result<std::unique_ptr<Decoder>> MakeFreshdeskDecoder(const SourceConfig& source) {
  return MakeMappingDecoder(source.mapping, FreshdeskMapping());
}

}  // namespace supportpipe::sources
