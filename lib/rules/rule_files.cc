// Listing and reading rule files (see lib/rules/rule_files.h).
#include "lib/rules/rule_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "lib/file_read.h"

namespace seal::rules {

Result<std::vector<std::string>> ListRuleFiles(
    const std::string& directory) try {
  DIR* dir = opendir(directory.c_str());
  if (dir == nullptr) {
    return ErrnoError("cannot open rules directory " + directory, errno);
  }
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name.empty() || name.front() == '.' || !name.ends_with(".toml")) {
      continue;
    }
    names.emplace_back(name);
  }
  int err = errno;
  closedir(dir);
  if (err != 0) {
    return ErrnoError("cannot read rules directory " + directory, err);
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> paths;
  std::string prefix = directory;
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  for (const std::string& name : names) {
    std::string path = prefix + name;
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    paths.push_back(std::move(path));
  }
  return paths;
} catch (const std::exception& e) {
  return InternalError("listing rule files: " + std::string(e.what()));
}

Result<RuleList> LoadRulePaths(const std::vector<std::string>& paths,
                               const RuleLimits& limits,
                               std::vector<RuleSource> first) try {
  std::vector<RuleSource> sources = std::move(first);
  std::vector<std::string> notes;
  uint64_t total = 0;
  for (const RuleSource& s : sources) total += s.text.size();
  auto read = [&](const std::string& file) -> Status {
    if (sources.size() >= limits.max_files) {
      return ResourceExhaustedError(file + ": more than " +
                                    std::to_string(limits.max_files) +
                                    " rule files");
    }
    Result<std::string> text =
        ReadRegularFile(file, limits.max_file_bytes, "rule file");
    if (!text.ok()) return text.status();
    total += text->size();
    if (total > limits.max_total_bytes) {
      return ResourceExhaustedError(file + ": rule files add up to more than " +
                                    std::to_string(limits.max_total_bytes) +
                                    " bytes");
    }
    sources.push_back(RuleSource{file, std::move(*text)});
    return Status::Ok();
  };
  for (const std::string& path : paths) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
      int err = errno;
      if (err == ENOENT) {
        notes.push_back(path + " does not exist; skipped");
        continue;
      }
      return ErrnoError("cannot read rules from " + path, err);
    }
    if (!S_ISDIR(st.st_mode)) {
      SEAL_RETURN_IF_ERROR(read(path));
      continue;
    }
    Result<std::vector<std::string>> files = ListRuleFiles(path);
    if (!files.ok()) return files.status();
    for (const std::string& file : *files) SEAL_RETURN_IF_ERROR(read(file));
  }
  Result<RuleList> list = ParseRuleSources(sources, limits);
  if (!list.ok()) return list.status();
  for (std::string& note : notes) list->notes.push_back(std::move(note));
  return list;
} catch (const std::exception& e) {
  return InternalError("loading rules: " + std::string(e.what()));
}

}  // namespace seal::rules
