// Spool throughput against its floor, measured side by side in one run:
// appending a message in milter-sized chunks through Spool, versus the raw
// operation underneath (append to a std::string in memory; write(2) to an
// O_TMPFILE on disk). Prints MB/s for each and the ratio Spool/raw, median
// of several rounds with min..max spread. Not a test: no thresholds here.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "lib/spool.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(const std::function<void()>& fn) {
  auto start = Clock::now();
  fn();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Stats {
  double median, min, max;
};

Stats Summarise(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

void Report(const char* name, size_t bytes, const std::vector<double>& spool_s,
            const std::vector<double>& raw_s) {
  std::vector<double> ratios;
  for (size_t i = 0; i < spool_s.size(); ++i) {
    ratios.push_back(raw_s[i] / spool_s[i]);
  }
  Stats s = Summarise(spool_s), r = Summarise(raw_s), q = Summarise(ratios);
  double mb = static_cast<double>(bytes) / 1e6;
  printf("%-28s spool %8.0f MB/s   raw %8.0f MB/s   ratio %.2f (%.2f..%.2f)\n",
         name, mb / s.median, mb / r.median, q.median, q.min, q.max);
}

}  // namespace

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : "/tmp";
  const int rounds = 7;
  const size_t chunk = 65535;  // libmilter's largest body chunk
  for (size_t mb : {size_t{1}, size_t{25}}) {
    const size_t total = mb << 20;
    std::string data(chunk, 'x');
    std::vector<double> spool_mem, raw_mem, spool_disk, raw_disk;
    for (int round = 0; round < rounds; ++round) {
      // In memory: limit above the message size.
      spool_mem.push_back(Seconds([&] {
        seal::Spool spool({dir, total + chunk, total + chunk, nullptr});
        for (size_t n = 0; n < total; n += chunk) {
          if (!spool.Append(data).ok()) std::abort();
        }
      }));
      raw_mem.push_back(Seconds([&] {
        std::string buf;
        for (size_t n = 0; n < total; n += chunk) buf.append(data);
        if (buf.size() < total) std::abort();
      }));
      // On disk: spill at once.
      spool_disk.push_back(Seconds([&] {
        seal::Spool spool({dir, 0, total + chunk, nullptr});
        for (size_t n = 0; n < total; n += chunk) {
          if (!spool.Append(data).ok()) std::abort();
        }
      }));
      raw_disk.push_back(Seconds([&] {
        int fd = open(dir, O_TMPFILE | O_RDWR, 0600);
        if (fd < 0) std::abort();
        for (size_t n = 0; n < total; n += chunk) {
          if (write(fd, data.data(), data.size()) !=
              static_cast<ssize_t>(data.size())) {
            std::abort();
          }
        }
        close(fd);
      }));
    }
    std::string label = std::to_string(mb) + " MB in memory";
    Report(label.c_str(), total, spool_mem, raw_mem);
    label = std::to_string(mb) + " MB spilled to disk";
    Report(label.c_str(), total, spool_disk, raw_disk);
  }
  return 0;
}
