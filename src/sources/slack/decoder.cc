// Slack Events API -> canonical events: in a support channel, a top-level message opens
// a ticket ("<channel>-<ts>") and thread replies are its messages. Replies by the
// source's agent_ids are agent replies; bots are system messages. Edits, joins and other
// subtypes carry no support fact and are ignored.
#include <fmt/format.h>

#include <algorithm>

#include "event/codec.h"
#include "sources/fields.h"
#include "sources/slack/slack.h"

namespace supportpipe::sources {
namespace {

class SlackDecoder final : public Decoder {
 public:
  explicit SlackDecoder(std::vector<std::string> agents) : agents_(std::move(agents)) {}

  Decoded Decode(const Delivery& d) const override {
    return DecodeEach(d.body, [this](element root) { return Read(root); });
  }

 private:
  Result<std::vector<event::Event>> Read(element root) const {
    Fields top(root, "");
    std::vector<event::Event> out;
    if (top.Text("type") != "event_callback") return out;
    top.Known({"token", "team_id", "api_app_id", "event_id", "event_time", "authorizations",
               "authed_users", "is_ext_shared_channel", "event_context", "context_team_id",
               "context_enterprise_id", "enterprise_id"});
    Fields ev = top.Object("event");
    if (!ev.valid()) return InvalidArgument("is required", "/event");
    const std::string type = ev.Text("type").value_or("");
    const std::string subtype = ev.Text("subtype").value_or("");
    if ((type != "message" && type != "app_mention") ||
        !(subtype.empty() || subtype == "thread_broadcast" || subtype == "file_share" ||
          subtype == "bot_message")) {
      return out;
    }
    std::optional<std::string> channel = ev.Text("channel");
    std::optional<std::string> ts = ev.Text("ts");
    if (!channel) return ev.Missing("channel");
    if (!ts) return ev.Missing("ts");
    ASSIGN_OR_RETURN(std::optional<TimeMicros> at, ev.Time("ts"));
    const std::optional<std::string> thread = ev.Text("thread_ts");
    const std::string root_ts = thread.value_or(*ts);
    const std::string ticket = *channel + "-" + root_ts;
    std::optional<std::string> user = ev.Text("user");
    const bool bot = ev.Text("bot_id").has_value() || subtype == "bot_message";
    const bool agent = user && std::find(agents_.begin(), agents_.end(), *user) != agents_.end();
    ev.Known({"client_msg_id", "channel_type", "event_ts", "team", "blocks", "files", "upload",
              "display_as_bot", "parent_user_id", "edited", "attachments", "bot_profile",
              "username", "app_id"});
    if (root_ts == *ts) {
      event::Event c = NewEvent(ticket + ":created", "ticket.created", *at, ticket);
      c.ticket->channel = "chat";
      c.ticket->requester = user;
      c.ticket->status = "new";
      out.push_back(std::move(c));
    }
    event::Event m =
        NewEvent(fmt::format("msg:{}:{}", *channel, *ts), "message.created", *at, ticket);
    auto& msg = m.message.emplace();
    msg.id = *ts;
    msg.body = ev.Text("text");
    msg.author = user;
    msg.author_role = bot ? "system" : agent ? "agent" : "customer";
    msg.channel = "chat";
    m.attributes.emplace_back("slack_channel", event::JsonQuote(*channel));
    ev.KeepRest(&m);
    top.KeepRest(&m);
    out.push_back(std::move(m));
    return out;
  }

  std::vector<std::string> agents_;
};

}  // namespace

std::unique_ptr<Decoder> MakeSlackDecoder(const SourceConfig& source) {
  return std::make_unique<SlackDecoder>(source.agent_ids);
}

}  // namespace supportpipe::sources
