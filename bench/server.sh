# Sourced by the benchmarks that start their own PostgreSQL (not a command of its own).

# How the running server (libpq's PG* variables) holds its shared buffers: "huge pages" or
# "4 kB pages" (or "unknown" when its memory map cannot be read). On a virtual machine this
# can halve a run that reads a few thousand rows by index: a session's first touch of each
# 4 kB page of the buffers costs a page fault (docs/operations.md, "PostgreSQL's shared
# buffers in huge pages"). Printed with the figures so that runs on differently set up
# machines are not compared as if alike.
server_memory_pages() {
  local data pid
  data=$(psql -X -Atc "show data_directory" 2>/dev/null) || { echo unknown; return; }
  pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null) || { echo unknown; return; }
  if grep -q anon_hugepage "/proc/$pid/maps" 2>/dev/null; then
    echo "huge pages"
  elif [ -r "/proc/$pid/maps" ]; then
    echo "4 kB pages (vm.nr_hugepages = $(cat /proc/sys/vm/nr_hugepages))"
  else
    echo unknown
  fi
}

# CPU time the hypervisor gave to others ("steal", /proc/stat) while a benchmark ran: on a
# shared virtual machine a run can lose a tenth of its CPU to its neighbours, which lowers
# throughput and lengthens latency tails from one run to the next. `cpu_ticks` before and
# after, then `stolen_percent BEFORE AFTER`: the share of all CPU time in between, in percent
# ("unknown" without /proc/stat).
cpu_ticks() { head -n 1 /proc/stat 2>/dev/null || echo unknown; }
stolen_percent() {
  case "$1$2" in *unknown*) echo unknown; return ;; esac
  awk -v a="$1" -v b="$2" 'BEGIN {
    n = split(a, x, " "); split(b, y, " "); total = 0
    for (i = 2; i <= 9 && i <= n; i++) total += y[i] - x[i]  # user .. steal
    printf "%.1f", (total > 0 ? 100 * (y[9] - x[9]) / total : 0) }'
}

# Makes the server ready to be measured as one that has been running, before anything is timed:
# files written just before (generated inputs) synced, so their write-back does not land in a
# timed step; and WAL segments made, then kept for reuse by a checkpoint. A new cluster
# zero-fills and syncs each 16 MB segment the first time it writes it; whichever side of a
# comparison is timed first would otherwise pay for the segments both use (measured: two loads
# of 1M users took 14.8 s on a new cluster, 12.6 s once it had segments to reuse).
# `make_wal_segments [N]`: N segments (default 200, 3.2 GB), one tiny insert and a switch each.
make_wal_segments() {
  sync
  psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "create table wal_warmup (i int)" -c "
    do \$\$ begin
      for i in 1..${1:-200} loop
        insert into wal_warmup values (i);
        perform pg_switch_wal();
      end loop;
    end \$\$" -c "drop table wal_warmup" -c checkpoint
}
