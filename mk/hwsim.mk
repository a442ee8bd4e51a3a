# hwsim: simulated RDMA NIC hardware for lab hosts (lab/hwsim, issue 3). Included by the top-level Makefile.
#   make test-hwsim                    hwsim's own tests -> .test-results/hwsim.xml
#   make hwsim-install DEST=<dir>      install the tools into <dir>/bin for local use (no root needed):
#                                      export HWSIM_STATE=/tmp/x PATH=<dir>/bin:$PATH; hwsim init --profile cx6-vpi-ib

HWSIM_PYTEST_ARGS ?= -n auto

.PHONY: test-hwsim
test-hwsim: deps ## hwsim tests: tool formats vs real samples, parsers on hwsim output, boot, faults, sysfs
	@mkdir -p $(RESULTS)
	$(BIN)/pytest tests/unit/hwsim -p no:cacheprovider $(HWSIM_PYTEST_ARGS) --junitxml=$(RESULTS)/hwsim.xml

.PHONY: hwsim-install
hwsim-install: ## install hwsim's tools into DEST/bin (DEST=.lab/hwsim by default) for use outside a container
	lab/hwsim/install.sh --python "$$(test -x /usr/bin/python3 && echo /usr/bin/python3 || command -v python3)" --bindir /bin --libdir /lib/hwsim --no-systemd \
	  $(or $(DEST),$(CURDIR)/.lab/hwsim)
