# `make lab`: the simulated lab, converged by playbooks/site.yml (issue 9). Included by the
# top-level Makefile.
#   make lab        lab image, lab hosts (podman), control plane (lab/k8s), site.yml, summary
#   make lab-down   remove the hosts and stop the control plane
LAB_INVENTORY ?= inventories/lab
LAB_NODES = $(shell $(BIN)/python lab/hosts/inventory.py $(LAB_INVENTORY)/hosts.yml | cut -d' ' -f1)
LAB_PLAYBOOK_ARGS ?=
# The lab hosts' `podman` connection with pipelining (lab/ansible/connection_plugins/podman.py).
LAB_ANSIBLE_ENV = ANSIBLE_CONNECTION_PLUGINS="$(CURDIR)/lab/ansible/connection_plugins" ANSIBLE_PIPELINING=True

.PHONY: lab
lab: deps lab-image k8s-build ## simulated RDMA hosts + local control plane, converged by playbooks/site.yml
	lab/hosts/up $(LAB_INVENTORY)/hosts.yml
	LAB_K8S_NODES="$(LAB_NODES)" lab/k8s/up
	$(LAB_ANSIBLE_ENV) $(BIN)/ansible-playbook -i $(LAB_INVENTORY) playbooks/site.yml $(LAB_PLAYBOOK_ARGS)
	@echo "summary: .lab/summary.json   (make lab-down removes the lab)"

.PHONY: lab-down
lab-down: ## remove the lab hosts and stop the lab control plane
	lab/hosts/down
	lab/k8s/down
