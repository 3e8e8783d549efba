// Generates the user-dimension benchmark's inputs in the upstream formats:
//
//   scpipe_bench_gen_users DIR N
//
//   DIR/users.ndjson        N user documents, one per line (string ids and flags, nested arrays),
//                           so that psql's \copy reads the same file as scpipe load-users
//   DIR/crm.csv             N CRM rows (quoted company names with commas)
//   DIR/change_docs.ndjson  N/200 new documents for users 1, 3, 5, ... (active flipped): 0.5 %
//   DIR/change_crm.csv      N/200 new CRM rows for users 2, 4, 6, ... (new industry):   0.5 %
//   DIR/small_docs.ndjson   the same with N/20000 users each (at least 1): 0.01 % in all
//   DIR/small_crm.csv
//
// Deterministic: the same N gives the same files.

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

const char* industries[] = {"Education", "Mining", "Retail", "Health", "Construction", "Hospitality"};
const char* regions[] = {"USA", "EU", "APAC", "LATAM"};

void write_document(std::FILE* out, long id, bool active) {
  int day = 1 + static_cast<int>(id % 28);
  int month = 1 + static_cast<int>(id % 12);
  std::fprintf(out,
               "{\"user_id\": \"%ld\", \"user_email\": \"User%ld@Example.com\", "
               "\"signup_ts\": \"2019-%02d-%02dT10:15:00\", \"active\": \"%s\", \"on_trial\": \"%s\", "
               "\"checklist\": [{\"checklist_id\": \"%ld1\", \"created_on\": \"2019-%02d-%02dT11:00:00\", "
               "\"checklist_name\": \"Fire exits\"}, {\"checklist_id\": \"%ld2\", \"created_on\": "
               "\"2019-%02d-%02dT12:00:00\", \"checklist_name\": \"Ladders\"}], "
               "\"inspection\": [{\"created_ts\": \"2019-%02d-%02dT09:00:00\", \"inspection_id\": \"%ld\", "
               "\"inspection_ts\": \"%d/%d/2019 9:00:00\"}]}",
               id, id, month, day, active ? "TRUE" : "FALSE", id % 3 == 0 ? "TRUE" : "FALSE", id, month,
               day, id, month, day, month, day, id, month, day);
}

void write_crm(std::FILE* out, long id, const char* industry) {
  std::fprintf(out, "user%ld@example.com,%s,%s,\"Company %ld, Inc\"\n", id, industry, regions[id % 4], id % 5000);
}

std::FILE* open(const std::string& path) {
  auto* f = std::fopen(path.c_str(), "w");
  if (!f) {
    std::perror(path.c_str());
    std::exit(1);
  }
  return f;
}

/// PREFIX_docs.ndjson: `changes` new documents for users 1, 3, 5, ... spread over 1..n (active
/// flipped when `flip`); PREFIX_crm.csv: `changes` new CRM rows for users 2, 4, 6, ... (in
/// `industry`).
void write_changes(const std::string& prefix, long n, long changes, bool flip, const char* industry) {
  long step = changes > 0 && n / (2 * changes) > 0 ? n / (2 * changes) : 1;
  auto* docs = open(prefix + "_docs.ndjson");
  for (long k = 0; k < changes; ++k) {
    long id = 1 + 2 * k * step;
    write_document(docs, id, (id % 2 == 0) != flip);
    std::fputs("\n", docs);
  }
  std::fclose(docs);
  auto* crm = open(prefix + "_crm.csv");
  std::fputs("user_email,industry,region,company_name\n", crm);
  for (long k = 0; k < changes; ++k)
    write_crm(crm, 2 + 2 * k * step, industry);
  std::fclose(crm);
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DIR N\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  long n = std::atol(argv[2]);
  auto* users = open(dir + "/users.ndjson");
  for (long id = 1; id <= n; ++id) {
    write_document(users, id, id % 2 == 0);
    std::fputs("\n", users);
  }
  std::fclose(users);

  auto* crm = open(dir + "/crm.csv");
  std::fputs("user_email,industry,region,company_name\n", crm);
  for (long id = 1; id <= n; ++id)
    write_crm(crm, id, industries[id % 6]);
  std::fclose(crm);

  // 0.5 % by document, 0.5 % by CRM: 1 % in all. The small set's users are among those, and
  // it changes them back (loaded after the first, it changes every user it names).
  write_changes(dir + "/change", n, n / 200, true, "Aerospace");
  write_changes(dir + "/small", n, n / 20000 > 0 ? n / 20000 : 1, false, "Defence");
  return 0;
}
