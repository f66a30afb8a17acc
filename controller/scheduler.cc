#include "controller/scheduler.h"

#include <algorithm>
#include <cstdio>
#include <tuple>

namespace jobctl::controller {
namespace {

std::string Plural(int n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string FormatCpus(double cpus) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", cpus);
  return std::string(buf) + (cpus == 1 ? " CPU" : " CPUs");
}

std::string FormatBytes(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f GiB", static_cast<double>(bytes) / (1LL << 30));
  return std::string(buf) + " memory";
}

bool Fits(const NodeCapacity& n, const JobRequest& j) {
  return n.ready && (j.pool.empty() || n.pool == j.pool) &&
         static_cast<int>(n.free_gpus.size()) >= j.gpus_per_node &&
         n.free_cpus + 1e-9 >= j.cpus_per_node && n.free_memory_bytes >= j.memory_per_node_bytes;
}

// The first port of `range`, from `start_offset` on and wrapping around, that
// no live attempt uses on `n`; 0 when every port is in use.
int FreePort(const NodeCapacity& n, PortRange range, int start_offset = 0) {
  // used_ports is small (one per live attempt whose rank 0 is here).
  const int size = range.last - range.first + 1;
  for (int i = 0; i < size; ++i) {
    int port = range.first + (start_offset + i) % size;
    if (std::find(n.used_ports.begin(), n.used_ports.end(), port) == n.used_ports.end()) {
      return port;
    }
  }
  return 0;
}

std::string PendingReason(const JobRequest& j, const std::vector<NodeCapacity>& nodes,
                          int fitting, bool no_port) {
  std::string where = j.pool.empty() ? "(any pool)" : "in pool " + j.pool;
  std::vector<std::string> needs;
  if (j.gpus_per_node > 0) {
    needs.push_back(Plural(j.gpus_per_node, "free GPU", "free GPUs"));
  }
  if (j.cpus_per_node > 0) needs.push_back(FormatCpus(j.cpus_per_node));
  if (j.memory_per_node_bytes > 0) needs.push_back(FormatBytes(j.memory_per_node_bytes));
  std::string reason = "needs " + Plural(j.nodes, "node", "nodes") + " " + where;
  if (!needs.empty()) {
    reason += " with ";
    for (size_t i = 0; i < needs.size(); ++i) reason += (i ? ", " : "") + needs[i];
    reason += " each";
  }
  int ready_in_pool = 0;
  for (const auto& n : nodes) {
    if (n.ready && (j.pool.empty() || n.pool == j.pool)) ++ready_in_pool;
  }
  if (no_port) {
    return reason + "; no free rendezvous port on any candidate rank-0 node";
  }
  reason += "; " + std::to_string(fitting) + (fitting == 1 ? " such node" : " such nodes") +
            " free (" + Plural(ready_in_pool, "ready node", "ready nodes") +
            (j.pool.empty() ? "" : " in the pool") + ")";
  return reason;
}

// Requests with the same shape compete for the same nodes; resources only
// shrink during one Schedule(), so a shape that failed once fails again.
using Shape = std::tuple<std::string, int, int, double, int64_t>;

}  // namespace

std::vector<std::vector<int>> Scheduler::SplitGpus(const std::vector<int>& gpus,
                                                   int local_ranks) {
  std::vector<std::vector<int>> out(static_cast<size_t>(std::max(local_ranks, 0)));
  if (gpus.empty() || local_ranks <= 0) return out;
  int g = static_cast<int>(gpus.size());
  if (g >= local_ranks) {
    for (int r = 0; r < local_ranks; ++r) {
      for (int i = r * g / local_ranks; i < (r + 1) * g / local_ranks; ++i) {
        out[static_cast<size_t>(r)].push_back(gpus[static_cast<size_t>(i)]);
      }
    }
  } else {
    for (int r = 0; r < local_ranks; ++r) {
      out[static_cast<size_t>(r)].push_back(gpus[static_cast<size_t>(r % g)]);
    }
  }
  return out;
}

ScheduleResult Scheduler::Schedule(std::vector<JobRequest> queue,
                                   std::vector<NodeCapacity> nodes) {
  ScheduleResult result;
  std::stable_sort(queue.begin(), queue.end(), [](const JobRequest& a, const JobRequest& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    return a.order < b.order;
  });
  std::map<Shape, std::string> failed;
  std::vector<size_t> chosen;
  for (const JobRequest& job : queue) {
    Shape shape{job.pool, job.nodes, job.gpus_per_node, job.cpus_per_node,
                job.memory_per_node_bytes};
    if (auto f = failed.find(shape); f != failed.end()) {
      result.pending[job.job_id] = f->second;
      continue;
    }
    chosen.clear();
    int fitting = 0;
    bool have_master = false;
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (!Fits(nodes[i], job)) continue;
      ++fitting;
      const bool full = static_cast<int>(chosen.size()) >= job.nodes;
      if (!have_master && FreePort(nodes[i], ports_) != 0) {
        chosen.insert(chosen.begin(), i);  // rank 0: needs a free rendezvous port
        have_master = true;
        if (static_cast<int>(chosen.size()) > job.nodes) chosen.pop_back();
      } else if (!full) {
        chosen.push_back(i);
      }
      if (static_cast<int>(chosen.size()) == job.nodes && have_master) break;
    }
    if (static_cast<int>(chosen.size()) < job.nodes || !have_master || job.nodes <= 0) {
      std::string reason = PendingReason(job, nodes, fitting,
                                         fitting >= job.nodes && job.nodes > 0 && !have_master);
      failed[shape] = reason;
      result.pending[job.job_id] = reason;
      continue;
    }
    JobPlacement placement;
    placement.job_id = job.job_id;
    for (size_t k = 0; k < chosen.size(); ++k) {
      NodeCapacity& n = nodes[chosen[k]];
      NodePlacement np;
      np.node_id = n.id;
      np.address = n.address;
      for (int l = 0; l < job.processes_per_node; ++l) {
        np.ranks.push_back(static_cast<int>(k) * job.processes_per_node + l);
      }
      np.gpus.assign(n.free_gpus.begin(), n.free_gpus.begin() + job.gpus_per_node);
      n.free_gpus.erase(n.free_gpus.begin(), n.free_gpus.begin() + job.gpus_per_node);
      np.rank_gpus = SplitGpus(np.gpus, job.processes_per_node);
      np.cpus = job.cpus_per_node;
      np.memory_bytes = job.memory_per_node_bytes;
      n.free_cpus -= job.cpus_per_node;
      n.free_memory_bytes -= job.memory_per_node_bytes;
      if (k == 0) {
        placement.master_addr = n.address;
        placement.master_port = FreePort(n, ports_, next_port_offset_);
        next_port_offset_ = (placement.master_port - ports_.first + 1) %
                            (ports_.last - ports_.first + 1);
        n.used_ports.push_back(placement.master_port);
      }
      placement.nodes.push_back(std::move(np));
    }
    result.placements.push_back(std::move(placement));
  }
  result.remaining = std::move(nodes);
  return result;
}

}  // namespace jobctl::controller
