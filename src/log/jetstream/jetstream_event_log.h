// The scale-out EventLog: the raw and event streams in NATS JetStream, everything shared
// between processes (idempotency keys, consumer cursors, dead letters, drift, the outbox,
// connectors' state) in PostgreSQL.
//
//   ASSIGN_OR_RETURN(auto log, OpenJetStreamEventLog({.nats_urls = "nats://127.0.0.1:4222",
//                                                     .state_url = "postgresql://..."}));
//
// Layout (docs/deployment.md): streams <NAME>_RAW (subject <name>.raw) and <NAME>_EVENTS
// (subjects <name>.events.<partition>, the partition a hash of source and ticket, so that
// one ticket's events share a subject); offsets are stream sequences. Appends publish with
// a Nats-Msg-Id, so a retried publish inside JetStream's duplicate window lands once; the
// keys recorded in PostgreSQL make appends idempotent for good. A record is published before
// its key is recorded, so a crash between the two leaves at worst a copy that the next
// append of the same key finds by its Nats-Msg-Id. The PostgreSQL tables live in the schema
// <name>, so several pipelines can share one database.
//
// Durability: an append returns when JetStream has acknowledged every record (stored on a
// majority of the stream's replicas) and PostgreSQL has committed the keys.
//
// Thread-safe: the NATS connection is shared; PostgreSQL connections come from a pool.
#pragma once

#include <memory>
#include <string>

#include "log/event_log.h"
#include "log/payload_cipher.h"

namespace supportpipe::log {

struct JetStreamLogOptions {
  std::string nats_urls;  // comma-separated: "nats://a:4222,nats://b:4222"
  std::string state_url;  // PostgreSQL connection URI
  // Names the streams (upper case) and the PostgreSQL schema: letters, digits and '_'.
  std::string name = "supportpipe";
  int replicas = 1;  // of each stream, when this call creates them (1, 3 or 5)
  // JetStream's Nats-Msg-Id duplicate window, in seconds.
  int64_t duplicate_window_s = 120;
  // Authentication and TLS ("" = none): a token, or a .creds file (JWT + NKey seed); a CA
  // to trust for tls:// servers (TLS is also used when any URL is tls://).
  std::string token;
  std::string credentials_file;
  std::string tls_ca_file;
  // As in SqliteLogOptions: seals raw bodies before they are published.
  std::shared_ptr<const PayloadCipher> cipher;
};

// Connects, creates the streams and tables when missing, and checks that existing streams
// are as it would make them (one subject, no age or count limits; their replicas are kept as
// they are): InvalidArgument naming the stream otherwise. Unavailable when a server cannot be
// reached.
Result<std::unique_ptr<EventLog>> OpenJetStreamEventLog(const JetStreamLogOptions& options);

}  // namespace supportpipe::log
