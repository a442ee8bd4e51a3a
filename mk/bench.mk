# `make bench` (issue 10): host-phase and cluster-phase figures in one run; see benchmarks/README.md.
# Included by the top-level Makefile. Sizes and forks can be overridden:
#   make bench BENCH_FLEET_SIZES="10 50 100" BENCH_FIRST_MAX=10 BENCH_CLUSTER_SIZES="10 100" BENCH_FORKS=20
# Fleets above BENCH_FIRST_MAX hosts are copies of six converged seed hosts (floor and no-op only).
BENCH_FLEET_SIZES ?= 10 50 100
BENCH_FIRST_MAX ?= 10
BENCH_CLUSTER_SIZES ?= 10 100
BENCH_FORKS ?= 20

.PHONY: bench
bench: deps lab-image k8s-build ## benchmarks: fleet (chroot hosts) and cluster (kwok nodes); writes benchmarks/results/latest.*
	BENCH_FLEET_SIZES="$(BENCH_FLEET_SIZES)" BENCH_FIRST_MAX="$(BENCH_FIRST_MAX)" BENCH_CLUSTER_SIZES="$(BENCH_CLUSTER_SIZES)" \
	  BENCH_FORKS="$(BENCH_FORKS)" $(BIN)/python benchmarks/run.py
