// scpipe: one binary, one command per invocation. Dispatch only; commands live in src/cli/.
#include "cli/commands.hpp"

int main(int argc, char** argv) {
  return scpipe::cli::main(argc, argv);
}
