// RendezvousStoreServer: the TCP key-value store rank 0 serves at
// MASTER_ADDR:MASTER_PORT (torchrun's TCPStore, in small).
//
// Wire format (little-endian), one request then one reply per round trip:
//   request: u8 op ('S' set | 'G' get), u32 key_len, key,
//            and for 'S' also u32 value_len, value
//   reply:   u8 code (0 = ok, 1 = bad request), u32 len, payload
// A 'G' for a key not yet set is answered when the key is set; the client
// bounds its own wait and closes the connection when it gives up.
//
// Thread-safety: Start/Stop/port are called from one owner thread; the
// server runs its own event-loop thread that owns the table.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "common/status.h"
#include "trainer/comm/socket_io.h"

namespace jobctl::trainer::comm {

class RendezvousStoreServer {
 public:
  // Binds all interfaces at `port` (0 = an ephemeral port, see port()) and
  // starts serving. kUnavailable naming the port when it cannot bind.
  static Result<std::unique_ptr<RendezvousStoreServer>> Start(int port);

  ~RendezvousStoreServer();  // Stops the loop and closes every connection.
  RendezvousStoreServer(const RendezvousStoreServer&) = delete;
  RendezvousStoreServer& operator=(const RendezvousStoreServer&) = delete;

  int port() const { return port_; }

 private:
  RendezvousStoreServer(UniqueFd listener, UniqueFd wake_read, UniqueFd wake_write, int port);
  void Run();

  UniqueFd listener_;
  UniqueFd wake_read_;   // the loop polls it; a byte means "stop"
  UniqueFd wake_write_;
  int port_;
  std::thread thread_;
};

}  // namespace jobctl::trainer::comm
