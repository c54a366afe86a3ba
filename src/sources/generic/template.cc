#include "sources/generic/template.h"

namespace supportpipe::sources {

MappingConfig TemplateMapping() {
  MappingConfig m;
  m.fields = {
      {"type", "/event"},
      {"id", "/id"},
      {"occurred_at", "/occurred_at"},
      {"ticket.id", "/ticket/id"},
      {"ticket.status", "/ticket/status"},
      {"ticket.priority", "/ticket/priority"},
      {"ticket.channel", "/ticket/channel"},
      {"ticket.subject", "/ticket/subject"},
      {"ticket.group", "/ticket/group"},
      {"ticket.assignee", "/ticket/assignee"},
      {"ticket.requester", "/ticket/requester"},
      {"ticket.tags", "/ticket/tags"},
      {"customer.id", "/customer/id"},
      {"customer.email", "/customer/email"},
      {"customer.name", "/customer/name"},
      {"message.id", "/message/id"},
      {"message.body", "/message/body"},
      {"message.author_role", "/message/author_role"},
      {"message.public", "/message/public"},
  };
  m.defaults = {{"type", "ticket.updated"}};
  return m;
}

}  // namespace supportpipe::sources
