#include "version_stream.hpp"

namespace dfs::fs {

store::SealedSink VersionStream::sink() {
  if (network_ == nullptr) return {};
  return [this](const ChunkId& id, std::shared_ptr<const Bytes> sealed) {
    std::shared_ptr<replicate::ReplicationStream> stream;
    {
      std::lock_guard lock(mu_);
      if (!stream_) stream_ = network_->start_replication();
      stream = stream_;
      sent_.push_back(id);
    }
    stream->add(id, std::move(sealed));
  };
}

VersionStream::Taken VersionStream::take() {
  std::lock_guard lock(mu_);
  Taken taken{std::move(stream_), std::move(sent_)};
  stream_.reset();
  sent_.clear();
  return taken;
}

}  // namespace dfs::fs
