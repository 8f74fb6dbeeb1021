-- transaction.lua: one complete transaction as Postfix sends it (macros,
-- several recipients, ESMTP parameters, a realistic header block, a body in
-- several chunks). Every step is answered CONTINUE, end of message ACCEPT,
-- and nothing is modified: no header added, inserted, changed or deleted,
-- no body replacement, no recipient added or removed, no quarantine, no
-- reply code (the runner checks the full reply transcript).
-- The log line carries session/queue id, the exact spooled size and the
-- recipient count.
-- @config: spool.memory_limit = "64K"
-- @expect-log-count: 1 info: s1/4Xk9TQ2mZ1z: passed unchanged: size=\d+ rcpts=4 spilled=no direction=outbound rules=- eom=\d+\.\dms time=\d+\.\dms$
-- @expect-log: debug: s1: connect from mx\.example\.org\[198\.51\.100\.7\] daemon=smtpd$

local T = dofile(common)

T.main(function()
  local conn = T.connect()
  T.ok(mt.macro(conn, SMFIC_CONNECT, "j", "mail.example.net",
                "{daemon_name}", "smtpd", "{client_addr}", "198.51.100.7"),
       "connect macros")
  T.ok(mt.conninfo(conn, "mx.example.org", "198.51.100.7"), "conninfo")
  T.expect(conn, SMFIR_CONTINUE, "connect")
  T.ok(mt.helo(conn, "mx.example.org"), "helo")
  T.expect(conn, SMFIR_CONTINUE, "HELO")

  local qid = "4Xk9TQ2mZ1z"
  T.ok(mt.macro(conn, SMFIC_MAIL, "i", qid, "{auth_authen}", "alice",
                "{auth_type}", "PLAIN", "{mail_addr}", "alice@example.org"),
       "MAIL macros")
  T.ok(mt.mailfrom(conn, "<alice@example.org>", "SIZE=1234", "BODY=8BITMIME"),
       "mailfrom")
  T.expect(conn, SMFIR_CONTINUE, "MAIL FROM")

  local rcpts = {"<bob@example.net>", "<carol@example.net>",
                 "<dave@sub.example.com>", "<Erin.Long+tag@EXAMPLE.com>"}
  for i, r in ipairs(rcpts) do
    T.ok(mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}", r:sub(2, -2)),
         "RCPT macros")
    if i == 2 then
      T.ok(mt.rcptto(conn, r, "NOTIFY=SUCCESS,FAILURE",
                     "ORCPT=rfc822;carol@example.net"), "rcptto")
    else
      T.ok(mt.rcptto(conn, r), "rcptto")
    end
    T.expect(conn, SMFIR_CONTINUE, "RCPT TO " .. r)
  end

  local m = {
    qid = qid,
    headers = {
      {"Received", "from mx.example.org (mx.example.org [198.51.100.7])\n"
                   .. "\tby mail.example.net (Postfix) with ESMTPS id "
                   .. qid .. "\n\tfor <bob@example.net>; "
                   .. "Mon, 3 Jun 2024 10:00:00 +0200 (CEST)"},
      {"From", "Alice <alice@example.org>"},
      {"To", "Bob <bob@example.net>, carol@example.net"},
      {"Cc", "dave@sub.example.com"},
      {"Subject", "Quarterly report"},
      {"Date", "Mon, 3 Jun 2024 10:00:00 +0200"},
      {"Message-ID", "<20240603080000.GA1234@example.org>"},
      {"MIME-Version", "1.0"},
      {"Content-Type", "multipart/mixed; boundary=\"b1\""},
      {"X-Empty", ""},
    },
    body = {
      "--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n",
      "Hello Bob,\r\n\r\nplease find the report attached.\r\n\r\n",
      "--b1\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\n"
        .. "Content-Transfer-Encoding: base64\r\n\r\n"
        .. string.rep("JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGg+\r\n", 40),
      "--b1--\r\n",
    },
  }
  T.headers(conn, m)
  T.body(conn, m.body)
  T.ok(mt.eom(conn), "eom")
  T.expect(conn, SMFIR_ACCEPT, "end of message")
  T.expect_unchanged(conn, rcpts, "transaction")
  T.check(not mt.eom_check(conn, MT_RCPTDELETE, "<alice@example.org>"),
          "the sender became a removed recipient")
  T.check(not mt.eom_check(conn, MT_HDRDELETE, "Subject"),
          "Subject was deleted")

  local r = T.log_result(qid)
  T.check(r.rcpts == #rcpts, "log rcpts=%d, expected %d", r.rcpts, #rcpts)
  T.check(r.size == T.spooled_size(conn, m), "log size=%d, expected %d",
          r.size, T.spooled_size(conn, m))
  T.check(r.spilled == "no", "spilled=%s below memory_limit", r.spilled)

  T.ok(mt.disconnect(conn), "disconnect")
end)
