# Molecule scenarios on podman lab hosts (issue 3). Included by the top-level Makefile.
#   make molecule S=<scenario> [MOLECULE_CMD=test|converge|verify|destroy|login ...]
#   make test-molecule            every scenario, MOLECULE_JOBS (2) at once; one JUnit file each
# Runs of one scenario from this checkout share container names and Molecule's ephemeral
# directory, so they take .lab/molecule-<scenario>.lock and wait for each other.

MOLECULE_SCENARIOS := $(sort $(patsubst molecule/%/molecule.yml,%,$(wildcard molecule/*/molecule.yml)))
MOLECULE_CMD ?= test
# Scenarios at once in `make test-molecule` (molecule/_shared/run_scenario.py explains the lanes).
MOLECULE_JOBS ?= 2
# molecule calls ansible-* by name; the image tag comes from the build script.
MOLECULE_ENV = PATH="$(CURDIR)/$(BIN):$$PATH" MOLECULE_GLOB='molecule/*/molecule.yml' \
	RDMAOPS_NODE_IMAGE="$$(cat .lab/node-image)"

.PHONY: molecule
molecule: deps lab-image ## run one Molecule scenario: make molecule S=<scenario> [MOLECULE_CMD=test]
	@test -n "$(S)" || { echo "usage: make molecule S=<scenario>  (scenarios: $(MOLECULE_SCENARIOS))" >&2; exit 2; }
	@mkdir -p .lab
	$(MOLECULE_ENV) flock .lab/molecule-$(S).lock $(BIN)/molecule $(MOLECULE_CMD) -s $(S)

.PHONY: test-molecule
test-molecule: deps lab-image ## every Molecule scenario; JUnit per scenario in .test-results/molecule-<s>.xml
	@mkdir -p $(RESULTS)
	$(MOLECULE_ENV) $(BIN)/python molecule/_shared/run_scenario.py --jobs $(MOLECULE_JOBS) $(RESULTS) $(MOLECULE_SCENARIOS)
