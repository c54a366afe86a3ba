#include "sources/gorgias/gorgias.h"

#include "sources/generic/mapping.h"
#include "sources/generic/template.h"

namespace supportpipe::sources {

MappingConfig GorgiasMapping() {
  MappingConfig m = TemplateMapping();
  m.values = {
      {"ticket.status", {{"closed", "solved"}, {"snoozed", "hold"}}},
      {"ticket.priority", {{"critical", "urgent"}, {"medium", "normal"}}},
      {"ticket.channel", {{"contact_form", "web"}, {"help-center", "web"}}},
  };
  return m;
}

Result<std::unique_ptr<Decoder>> MakeGorgiasDecoder(const SourceConfig& source) {
  return MakeMappingDecoder(source.mapping, GorgiasMapping());
}

}  // namespace supportpipe::sources
