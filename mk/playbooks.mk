# Playbook-level tests (issue 9). Included by the top-level Makefile.
#   make test-playbooks   ansible-playbook playbooks/preflight.yml (and rdmaops.fabric.site /
#                         rdmaops.fabric.uninstall by FQCN) against small inventories written into a
#                         temp dir: local connection, no real host, no API; JUnit in
#                         $(RESULTS)/playbooks.xml

.PHONY: test-playbooks
test-playbooks: deps ## the collection's playbooks on small good and bad inventories (preflight, FQCN runs)
	@mkdir -p $(RESULTS)
	$(BIN)/pytest tests/playbooks -p no:cacheprovider --junitxml=$(RESULTS)/playbooks.xml
