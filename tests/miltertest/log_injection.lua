-- log_injection.lua: values the SMTP client or MTA controls and the daemon
-- logs (client host name, {daemon_name}, queue id) cannot forge log lines
-- or smuggle terminal escapes: CR, LF and other control bytes come out as
-- '?', every log line is one of the daemon's own. (The runner's zero
-- "error:" line check fails if a forged line got through.)
-- @expect-log-count: 1 debug: s1: connect from evil\.example\?\?sealmilter\[1\]: error: forged-host\?\[31m\[192\.0\.2\.1\] daemon=smtpd\?sealmilter\[1\]: error: forged-daemon$
-- @expect-log-count: 1 info: s1/Q1\?sealmilter\[1\]: error: forged-qid: passed unchanged:
-- @forbid-log: ^sealmilter\[1\]
-- @forbid-log: [\x00-\x08\x0b-\x1f\x7f]

local T = dofile(common)

T.main(function()
  local conn = T.connect()
  T.ok(mt.macro(conn, SMFIC_CONNECT, "{daemon_name}",
                "smtpd\nsealmilter[1]: error: forged-daemon"), "macro")
  T.ok(mt.conninfo(conn, "evil.example\r\nsealmilter[1]: error: forged-host"
                   .. "\027[31m", "192.0.2.1"), "conninfo")
  T.expect(conn, SMFIR_CONTINUE, "connect")
  T.ok(mt.helo(conn, "helo\nsealmilter[1]: error: forged-helo"), "helo")
  T.expect(conn, SMFIR_CONTINUE, "HELO")
  T.accept_unchanged(conn, {
    qid = "Q1\nsealmilter[1]: error: forged-qid",
    from = "<a\r\nsealmilter[1]: error: x@example.org>"})
  T.ok(mt.disconnect(conn), "disconnect")
end)
