# End-to-end tests of the playbooks on a small lab of their own (issue 9). Included by the
# top-level Makefile.
#   make test-site   tests/site: two podman hosts (IB exclusive + RoCE shared) and a private
#                    control plane; site.yml --check on the fresh lab, site.yml through
#                    ansible-runner, then the fault cases of docs/faults.md. JUnit in
#                    $(RESULTS)/site.xml. SITE_LAB_KEEP=1 leaves the lab up for a look.

.PHONY: test-site
test-site: deps lab-image k8s-build ## site.yml end to end on its own lab: --check, ansible-runner, faults
	@mkdir -p $(RESULTS)
	$(BIN)/pytest tests/site -p no:cacheprovider --junitxml=$(RESULTS)/site.xml
