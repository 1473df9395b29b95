#include "service_proto.hpp"

#include <algorithm>
#include <chrono>

#include "dfs/control/control_channel.hpp"
#include "paging.hpp"

namespace dfs::control {

control::StatusReply to_proto(const node::ServiceStatus& s) {
  control::StatusReply r;
  r.set_data_dir(s.data_dir);
  r.set_node_id(s.node_id);
  r.set_listen_address(s.listen_address);
  r.set_files(s.files);
  r.set_chunks_stored(s.usage.chunks);
  r.set_bytes_stored(s.usage.bytes);
  r.set_quota_bytes(s.usage.quota_bytes);
  r.set_chunks_cached(s.cache.chunks);
  r.set_bytes_cached(s.cache.bytes);
  r.set_held_chunks(s.held.chunks);
  r.set_held_bytes(s.held.bytes);
  r.set_held_budget_bytes(s.held.quota_bytes);
  r.set_chunks_referenced(s.referenced_chunks);
  r.set_peers(s.peers);
  r.set_reachable(s.reachable);
  r.set_replicas(s.replicas);
  r.set_under_replicated(s.health.under_replicated);
  r.set_repair_rounds(s.health.rounds);
  r.set_copies_missing(s.health.copies_missing);
  r.set_oldest_short_seconds(static_cast<std::uint64_t>(s.health.oldest.count()));
  r.set_copies_last_minute(s.health.copies_last_minute);
  r.set_repair_copies(s.repair_copies);
  r.set_leases_expire_from(s.leases_expire_from);
  r.set_lease_days(s.lease_days);
  r.set_last_snapshot_at(s.last_snapshot.taken_at);
  r.set_last_snapshot_files(s.last_snapshot.files);
  r.set_last_snapshot_bytes(s.last_snapshot.bytes);
  r.set_snapshot_sequence(s.snapshot_sequence);
  r.set_networked(s.networked);
  for (const auto& line : s.limits) r.add_limits(line);
  return r;
}

node::ServiceStatus from_proto(const control::StatusReply& r) {
  node::ServiceStatus s;
  s.data_dir = r.data_dir();
  s.node_id = r.node_id();
  s.listen_address = r.listen_address();
  s.files = r.files();
  s.usage = {r.bytes_stored(), r.chunks_stored(), r.quota_bytes()};
  s.cache = {r.bytes_cached(), r.chunks_cached(), 0};
  s.held = {r.held_bytes(), r.held_chunks(), r.held_budget_bytes()};
  s.referenced_chunks = r.chunks_referenced();
  s.peers = r.peers();
  s.reachable = r.reachable();
  s.replicas = r.replicas();
  s.health.under_replicated = r.under_replicated();
  s.health.rounds = r.repair_rounds();
  s.health.copies_missing = r.copies_missing();
  // Bounded: an age out of range must not overflow the duration.
  s.health.oldest = std::chrono::seconds(static_cast<std::int64_t>(std::min<std::uint64_t>(r.oldest_short_seconds(), 1u << 31)));
  s.health.copies_last_minute = r.copies_last_minute();
  s.repair_copies = r.repair_copies();
  s.leases_expire_from = r.leases_expire_from();
  s.lease_days = r.lease_days();
  s.last_snapshot.taken_at = r.last_snapshot_at();
  s.last_snapshot.files = r.last_snapshot_files();
  s.last_snapshot.bytes = r.last_snapshot_bytes();
  s.snapshot_sequence = r.snapshot_sequence();
  s.networked = r.networked();
  s.limits.assign(r.limits().begin(), r.limits().end());
  return s;
}

control::GcReply to_proto(const node::GcReport& r) {
  control::GcReply g;
  g.set_chunks_examined(r.chunks_examined);
  g.set_chunks_collected(r.chunks_collected);
  g.set_cache_collected(r.cache_collected);
  g.set_bytes_freed(r.bytes_freed);
  g.set_chunks_in_flight(r.chunks_in_flight);
  g.set_temp_files_removed(r.temp_files_removed);
  g.set_leases_expired(r.leases_expired);
  return g;
}

node::GcReport from_proto(const control::GcReply& g) {
  node::GcReport r;
  r.chunks_examined = g.chunks_examined();
  r.chunks_collected = g.chunks_collected();
  r.cache_collected = g.cache_collected();
  r.bytes_freed = g.bytes_freed();
  r.chunks_in_flight = g.chunks_in_flight();
  r.temp_files_removed = g.temp_files_removed();
  r.leases_expired = g.leases_expired();
  return r;
}

SnapshotReply to_proto(const node::SnapshotOutcome& o) {
  SnapshotReply r;
  r.set_taken_at(o.snapshot.taken_at);
  r.set_files(o.snapshot.files);
  r.set_bytes(o.snapshot.bytes);
  r.set_published(o.published);
  r.set_sequence(o.sequence);
  return r;
}

node::SnapshotOutcome from_proto(const SnapshotReply& r) {
  node::SnapshotOutcome o;
  o.snapshot.taken_at = r.taken_at();
  o.snapshot.files = r.files();
  o.snapshot.bytes = r.bytes();
  o.published = r.published();
  o.sequence = r.sequence();
  return o;
}

namespace {

void to_proto(const std::vector<dht::Contact>& peers, google::protobuf::RepeatedPtrField<PeerRef>* out) {
  for (const auto& p : peers) {
    auto* ref = out->Add();
    ref->set_node_id(p.id.hex());
    ref->set_address(p.address);
  }
}

Result<std::vector<dht::Contact>> from_proto(const google::protobuf::RepeatedPtrField<PeerRef>& refs) {
  std::vector<dht::Contact> out;
  for (const auto& ref : refs) {
    DFS_ASSIGN_OR_RETURN(dht::NodeId id, dht::NodeId::from_hex(ref.node_id()));
    out.push_back(dht::Contact{id, ref.address()});
  }
  return out;
}

void to_proto(const replicate::ChunkLocation& c, ChunkPlace& place) {
  place.set_chunk_id(c.id.hex());
  place.set_self_is_replica(c.self_is_replica);
  place.set_self_holds(c.self_holds);
  to_proto(c.holders, place.mutable_holders());
  to_proto(c.lacking, place.mutable_lacking());
  to_proto(c.unreachable, place.mutable_unreachable());
}

// Checks every ID the peer sent. A page is at most a control message, so
// the contacts of one chunk are bounded by that.
Result<replicate::ChunkLocation> from_proto(const ChunkPlace& place) {
  replicate::ChunkLocation c;
  DFS_ASSIGN_OR_RETURN(c.id, ChunkId::from_hex(place.chunk_id()));
  c.self_is_replica = place.self_is_replica();
  c.self_holds = place.self_holds();
  DFS_ASSIGN_OR_RETURN(c.holders, from_proto(place.holders()));
  DFS_ASSIGN_OR_RETURN(c.lacking, from_proto(place.lacking()));
  DFS_ASSIGN_OR_RETURN(c.unreachable, from_proto(place.unreachable()));
  return c;
}

}  // namespace

Status send_location(const node::FileLocation& location, const std::function<Status(const Reply&)>& send) {
  DFS_TRY(send_in_pages(
      location.chunks,
      [](const auto& chunk, Reply& page) -> ChunkPlace& {
        ChunkPlace& place = *page.mutable_locate_page()->add_chunks();
        to_proto(chunk, place);
        return place;
      },
      send));
  Reply reply;
  LocateReply& r = *reply.mutable_locate();
  r.set_replicas(location.replicas);
  r.set_files(location.files);
  r.set_chunks_placed_again(location.chunks_placed_again);
  return send(reply);
}

Status LocationReader::page(const LocatePage& page) {
  if (finished_) return make_error(Errc::internal, "the peer sent chunk places after the end of a locate");
  if (location_.chunks.size() + static_cast<std::size_t>(page.chunks_size()) > max_chunks_) {
    return make_error(Errc::too_large,
                      "the peer sent the places of more than " + std::to_string(max_chunks_) + " chunks");
  }
  for (const auto& place : page.chunks()) {
    DFS_ASSIGN_OR_RETURN(replicate::ChunkLocation c, from_proto(place));
    location_.chunks.push_back(std::move(c));
  }
  return {};
}

Result<node::FileLocation> LocationReader::finish(const LocateReply& reply) {
  if (finished_) return make_error(Errc::internal, "the peer ended a locate twice");
  finished_ = true;
  location_.replicas = reply.replicas();
  location_.files = reply.files();
  location_.chunks_placed_again = reply.chunks_placed_again();
  return std::move(location_);
}

}  // namespace dfs::control
