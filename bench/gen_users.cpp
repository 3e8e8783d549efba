// Generates the user-dimension benchmark's inputs in the upstream formats:
//
//   scpipe_bench_gen_users DIR N
//
//   DIR/users.json         N user documents (one JSON array; string ids and flags, nested arrays)
//   DIR/crm.csv            N CRM rows (quoted company names with commas)
//   DIR/change_docs.ndjson N/200 new documents for users 1, 3, 5, ... (active flipped): 0.5 %
//   DIR/change_crm.csv     N/200 new CRM rows for users 2, 4, 6, ... (new industry):   0.5 %
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

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DIR N\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  long n = std::atol(argv[2]);
  auto* users = open(dir + "/users.json");
  std::fputs("[\n", users);
  for (long id = 1; id <= n; ++id) {
    write_document(users, id, id % 2 == 0);
    std::fputs(id < n ? ",\n" : "\n", users);
  }
  std::fputs("]\n", users);
  std::fclose(users);

  auto* crm = open(dir + "/crm.csv");
  std::fputs("user_email,industry,region,company_name\n", crm);
  for (long id = 1; id <= n; ++id)
    write_crm(crm, id, industries[id % 6]);
  std::fclose(crm);

  long changes = n / 200; // 0.5 % by document, 0.5 % by CRM: 1 % of users in all
  auto* docs = open(dir + "/change_docs.ndjson");
  for (long k = 0; k < changes; ++k) {
    long id = 1 + 2 * k * (n / (2 * changes));
    write_document(docs, id, !(id % 2 == 0));
    std::fputs("\n", docs);
  }
  std::fclose(docs);
  auto* crm_changes = open(dir + "/change_crm.csv");
  std::fputs("user_email,industry,region,company_name\n", crm_changes);
  for (long k = 0; k < changes; ++k) {
    long id = 2 + 2 * k * (n / (2 * changes));
    write_crm(crm_changes, id, "Aerospace");
  }
  std::fclose(crm_changes);
  return 0;
}
