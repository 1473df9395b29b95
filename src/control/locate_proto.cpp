#include "locate_proto.hpp"

namespace dfs::control {

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

}  // namespace

LocateReply to_locate_reply(const node::FileLocation& l) {
  LocateReply r;
  r.set_replicas(l.replicas);
  r.set_chunks_placed_again(l.chunks_placed_again);
  for (const auto& c : l.chunks) {
    auto* place = r.add_chunks();
    place->set_chunk_id(c.id.hex());
    place->set_self_is_replica(c.self_is_replica);
    place->set_self_holds(c.self_holds);
    to_proto(c.holders, place->mutable_holders());
    to_proto(c.lacking, place->mutable_lacking());
    to_proto(c.unreachable, place->mutable_unreachable());
  }
  return r;
}

Result<node::FileLocation> from_locate_reply(const LocateReply& r) {
  node::FileLocation l;
  l.replicas = r.replicas();
  l.chunks_placed_again = r.chunks_placed_again();
  for (const auto& place : r.chunks()) {
    replicate::ChunkLocation c;
    DFS_ASSIGN_OR_RETURN(c.id, ChunkId::from_hex(place.chunk_id()));
    c.self_is_replica = place.self_is_replica();
    c.self_holds = place.self_holds();
    DFS_ASSIGN_OR_RETURN(c.holders, from_proto(place.holders()));
    DFS_ASSIGN_OR_RETURN(c.lacking, from_proto(place.lacking()));
    DFS_ASSIGN_OR_RETURN(c.unreachable, from_proto(place.unreachable()));
    l.chunks.push_back(std::move(c));
  }
  return l;
}

}  // namespace dfs::control
