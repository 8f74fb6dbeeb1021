// The load test's baseline (bench/load_test.py): a libmilter filter that
// asks for what sealmilter asks for (every stage up to the body, and the
// right to change headers, body and recipients and to quarantine), reads
// the whole message and accepts it unchanged. It takes sealmilter's
// command line (-f -e -c CONFIG), reads only milter.socket from the config,
// and prints sealmilter's start-up line, so the e2e harness runs it as it
// runs sealmilter.
#include <libmilter/mfapi.h>
#include <sys/stat.h>

#include <unistd.h>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>
#include <string>

namespace {

sfsistat Continue(SMFICTX*) { return SMFIS_CONTINUE; }
sfsistat Connect(SMFICTX*, char*, _SOCK_ADDR*) { return SMFIS_CONTINUE; }
sfsistat Helo(SMFICTX*, char*) { return SMFIS_CONTINUE; }
sfsistat Envelope(SMFICTX*, char**) { return SMFIS_CONTINUE; }
sfsistat Header(SMFICTX*, char*, char*) { return SMFIS_CONTINUE; }
sfsistat Body(SMFICTX*, unsigned char*, size_t) { return SMFIS_CONTINUE; }
sfsistat Accept(SMFICTX*) { return SMFIS_ACCEPT; }
// The same protocol options sealmilter negotiates (milter/callbacks.cc).
sfsistat Negotiate(SMFICTX*, unsigned long f0, unsigned long f1, unsigned long,
                   unsigned long, unsigned long* pf0, unsigned long* pf1,
                   unsigned long* pf2, unsigned long* pf3) {
  *pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_ADDRCPT |
               SMFIF_DELRCPT | SMFIF_QUARANTINE);
  *pf1 = f1 & (SMFIP_HDR_LEADSPC | SMFIP_NOUNKNOWN | SMFIP_NODATA);
  *pf2 = 0;
  *pf3 = 0;
  return SMFIS_CONTINUE;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-c") == 0 && i + 1 < argc) config = argv[++i];
  }
  std::ifstream in(config);
  std::string line, socket;
  std::regex re(R"(^\s*socket\s*=\s*"unix:([^"]+)\")");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, re)) socket = m[1];
  }
  if (socket.empty()) {
    std::fprintf(stderr, "noop_milter: no milter.socket in %s\n",
                 config.c_str());
    return 78;
  }
  unlink(socket.c_str());
  static char name[] = "noop";
  smfiDesc desc{};
  desc.xxfi_name = name;
  desc.xxfi_version = SMFI_VERSION;
  desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY |
                    SMFIF_DELRCPT | SMFIF_QUARANTINE;
  desc.xxfi_connect = Connect;
  desc.xxfi_helo = Helo;
  desc.xxfi_envfrom = Envelope;
  desc.xxfi_envrcpt = Envelope;
  desc.xxfi_header = Header;
  desc.xxfi_eoh = Continue;
  desc.xxfi_body = Body;
  desc.xxfi_eom = Accept;
  desc.xxfi_abort = Continue;
  desc.xxfi_close = Continue;
  desc.xxfi_negotiate = Negotiate;
  std::string conn = "unix:" + socket;
  if (smfi_setconn(conn.data()) != MI_SUCCESS ||
      smfi_register(desc) != MI_SUCCESS || smfi_opensocket(1) != MI_SUCCESS) {
    std::fprintf(stderr, "noop_milter: cannot listen on %s\n", conn.c_str());
    return 71;
  }
  chmod(socket.c_str(), 0666);
  std::fprintf(stderr,
               "sealmilter[%d]: notice: startup: noop milter listening on "
               "%s\n",
               static_cast<int>(getpid()), conn.c_str());
  std::fflush(stderr);
  return smfi_main() == MI_SUCCESS ? 0 : 1;
}
