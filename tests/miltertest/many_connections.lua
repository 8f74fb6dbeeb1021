-- many_connections.lua: 200 connections in sequence, as a busy MTA opens
-- them, with a mix of endings: clean QUIT after one or two messages, an
-- aborted message, an abrupt drop mid-body after spilling, a rejected
-- oversized message. Afterwards the daemon's descriptor and thread counts
-- are back to their baseline (no leaked session, spool file or socket) and
-- its memory has not grown without bound.
-- @config: spool.memory_limit = "1K"
-- @config: spool.max_size = "64K"
-- @allow-replies: y
-- (connections 1-5 warm up; of the 195 others every fifth, i % 5 == 3,
-- is oversized: 39)
-- @expect-log-count: 200 debug: s\d+: connect from
-- @expect-log-count: 39 answering 552 5\.3\.4$

local T = dofile(common)

local N = tonumber(connections or "200")

local function rss_kb()
  local status = T.read_file("/proc/" .. daemon_pid .. "/status")
  return tonumber(status:match("VmRSS:%s*(%d+)"))
end

local accepted = 0

local function message(conn, qid, size)
  local m = {qid = qid, rcpts = {"<a@example.net>", "<b@example.net>"},
             headers = {{"From", "s@example.org"}, {"Subject", qid}},
             body = string.rep("m", size)}
  T.accept_unchanged(conn, m)
  accepted = accepted + 1
end

-- Ending by i % 5.
local endings = {
  [0] = function(conn, i)  -- two messages, QUIT
    message(conn, "MC" .. i .. "a", 200)
    message(conn, "MC" .. i .. "b", 5000)
    T.ok(mt.disconnect(conn), "disconnect")
  end,
  [1] = function(conn, i)  -- aborted message, then one more, QUIT
    local m = {qid = "MC" .. i .. "x", headers = {{"Subject", "x"}}}
    T.envelope(conn, m); T.headers(conn, m); T.body(conn, string.rep("z", 3000))
    T.ok(mt.abort(conn), "abort")
    message(conn, "MC" .. i, 100)
    T.ok(mt.disconnect(conn), "disconnect")
  end,
  [2] = function(conn, i)  -- abrupt drop mid-body after spilling
    local m = {qid = "MC" .. i .. "d", headers = {{"Subject", "d"}}}
    T.envelope(conn, m); T.headers(conn, m); T.body(conn, string.rep("d", 8000))
    T.ok(mt.disconnect(conn, false), "drop")
  end,
  [3] = function(conn, i)  -- oversized: rejected, then QUIT
    local m = {qid = "MC" .. i .. "r", headers = {{"Subject", "r"}}}
    T.envelope(conn, m); T.headers(conn, m)
    T.ok(mt.bodystring(conn, string.rep("r", 65535)), "bodystring")
    T.expect(conn, SMFIR_REPLYCODE, "oversized body")
    T.ok(mt.disconnect(conn), "disconnect")
  end,
  [4] = function(conn, i)  -- one message, dropped without QUIT afterwards
    message(conn, "MC" .. i, 1500)
    T.ok(mt.disconnect(conn, false), "drop")
  end,
}

T.main(function()
  -- Warm-up connections, then the baseline.
  for i = 1, 5 do
    local conn = T.open()
    message(conn, "MCW" .. i, 3000)
    T.ok(mt.disconnect(conn), "disconnect")
  end
  mt.sleep(0.5)
  local base_fds, base_threads, base_rss = T.fd_count(), T.thread_count(),
                                           rss_kb()
  local peak_fds, peak_threads = base_fds, base_threads
  for i = 1, N - 5 do
    local conn = T.open()
    endings[i % 5](conn, i)
    if i % 25 == 0 then
      local fds, threads = T.fd_count(), T.thread_count()
      if fds > peak_fds then peak_fds = fds end
      if threads > peak_threads then peak_threads = threads end
      -- Bounded along the way, not only at the end: at most a handful of
      -- connections can still be closing.
      T.check(fds <= base_fds + 10, "after %d connections: %d fds (base %d)",
              i, fds, base_fds)
    end
  end
  local fds, threads = T.wait_bounded(base_fds, base_threads, 20)
  local rss = rss_kb()
  print(string.format("INFO %d connections, %d messages accepted; fds %d -> "
                      .. "%d (peak %d), threads %d -> %d (peak %d), "
                      .. "VmRSS %d -> %d kB", N, accepted, base_fds, fds,
                      peak_fds, base_threads, threads, peak_threads,
                      base_rss, rss))
  T.check(fds <= base_fds, "%d descriptors at the end, baseline %d", fds,
          base_fds)
  T.check(threads <= base_threads, "%d threads at the end, baseline %d",
          threads, base_threads)
  -- Generous: catches a leak of whole messages (200 x 64 KiB), not malloc
  -- noise. ASan's quarantine keeps freed memory for a while: the bound is
  -- loose enough for it.
  T.check(rss - base_rss < 300 * 1024, "VmRSS grew from %d to %d kB",
          base_rss, rss)
end)
