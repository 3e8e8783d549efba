#include "cli/keygen.hpp"

#include "core/curve_keys.hpp"

#include <zmq.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace scpipe::cli {

namespace {

/// Creates `path` with `mode` (never replacing a file: keys are not overwritten by accident)
/// and writes `text`. Returns the reason it failed, or empty.
std::string write_new_file(const std::string& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    return path + ": " + std::strerror(errno)
           + (errno == EEXIST ? " (keys are never overwritten: remove it first)" : "");
  // The umask may have cleared bits of `mode`; the secret's 0600 is set exactly.
  bool ok = ::fchmod(fd, mode) == 0;
  const char* p = text.data();
  size_t left = text.size();
  while (ok && left > 0) {
    auto n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    ok = n > 0;
    p += ok ? n : 0;
    left -= ok ? static_cast<size_t>(n) : 0;
  }
  ok = ::fsync(fd) == 0 && ok;
  auto error = ok ? std::string{} : path + ": " + std::strerror(errno);
  ::close(fd);
  if (!ok)
    ::unlink(path.c_str());
  return error;
}

} // namespace

int keygen_command(const invocation& inv) {
  const auto& name = inv.args.at(0);
  if (name.empty() || name.back() == '/') {
    std::cerr << "scpipe keygen: NAME must name the files to write (NAME.key_secret, NAME.key), "
                 "got \""
              << name << "\" (see 'scpipe keygen --help')\n";
    return exit_usage;
  }
  if (!zmq_has("curve")) {
    std::cerr << "scpipe keygen: this libzmq was built without CURVE support\n";
    return exit_failure;
  }
  char public_key[41] = {};
  char secret_key[41] = {};
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    std::cerr << "scpipe keygen: cannot make a key pair: " << zmq_strerror(zmq_errno()) << '\n';
    return exit_failure;
  }
  curve_key_pair keys{public_key, secret_key};
  // The secret first: if it cannot be written, no public half is left behind without it.
  auto secret_path = name + ".key_secret";
  auto public_path = name + ".key";
  if (auto error = write_new_file(secret_path, render_curve_certificate(keys, true), 0600);
      !error.empty()) {
    std::cerr << "scpipe keygen: " << error << '\n';
    return exit_failure;
  }
  // The public half is meant to be handed out (to the service's allow-list, to producers).
  if (auto error = write_new_file(public_path, render_curve_certificate(keys, false), 0644);
      !error.empty()) {
    ::unlink(secret_path.c_str());
    std::cerr << "scpipe keygen: " << error << '\n';
    return exit_failure;
  }
  std::cout << "wrote " << secret_path << " (secret, mode 0600) and " << public_path
            << " (public)\n";
  return exit_success;
}

} // namespace scpipe::cli
