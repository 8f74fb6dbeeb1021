// sealctl entry point.
#include <string>
#include <vector>

#include "ctl/command.h"

int main(int argc, char** argv) {
  seal::ctl::CommandIo io;
  try {
    return seal::ctl::RunSealctl(
        std::vector<std::string>(argv + 1, argv + argc), io);
  } catch (const std::exception& e) {
    fprintf(stderr, "sealctl: internal error: %s\n", e.what());
    return seal::ctl::kExitFailure;
  }
}
