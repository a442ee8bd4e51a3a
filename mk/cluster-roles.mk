# Cluster roles multus, whereabouts, networks (issue 7). Included by the top-level Makefile.
#   make molecule S=cluster   the scenario (molecule/cluster) against lab/k8s
#   make test-bad-inputs      the bad-input matrix: every bad input refused before any API write,
#                             naming the variable (JUnit: .test-results/bad-inputs.xml)
#   make test-cluster-rbac    RBAC least privilege of the ServiceAccounts, asked of the real API
#                             server (JUnit: .test-results/cluster-rbac.xml)
#   make test-cni-netns       optional: a generated NetworkAttachmentDefinition run by the real
#                             macvlan + whereabouts (built by lab/cni/build) plugins in a network
#                             namespace (JUnit: .test-results/cni-netns.xml; needs root)
# All of them also run as part of `make test-cluster` (all of tests/cluster).

.PHONY: test-bad-inputs test-cluster-rbac test-cni-netns

test-bad-inputs: deps ## bad-input matrix of the cluster roles against lab/k8s (JUnit .test-results/bad-inputs.xml)
	@mkdir -p $(RESULTS)
	$(BIN)/pytest tests/cluster/test_cluster_roles_bad_input.py -p no:cacheprovider --junitxml=$(RESULTS)/bad-inputs.xml

test-cluster-rbac: deps ## RBAC least privilege of the cluster roles' ServiceAccounts (JUnit .test-results/cluster-rbac.xml)
	@mkdir -p $(RESULTS)
	$(BIN)/pytest tests/cluster/test_cluster_rbac.py -p no:cacheprovider --junitxml=$(RESULTS)/cluster-rbac.xml

test-cni-netns: deps ## optional real-CNI test: generated NAD config run by macvlan + whereabouts in a netns
	@mkdir -p $(RESULTS)
	$(BIN)/pytest tests/cluster/test_cni_netns.py -p no:cacheprovider --junitxml=$(RESULTS)/cni-netns.xml
