# The lab's real Kubernetes control plane (issue 6; lab/k8s/README.md). Included by the
# top-level Makefile, whose BIN, RESULTS and RDMAOPS_CACHE it uses.
#   make k8s-build     compile etcd, kube-apiserver/-controller-manager/-scheduler, kubectl, kwok from
#                      the Go module proxy into $(RDMAOPS_CACHE)/k8s/<versions>/ (warm: a stamp check)
#   make k8s-up        start it on 127.0.0.1 (builds first if needed); kubeconfig .lab/kubeconfig
#   make k8s-down      stop it and remove .lab/k8s
#   make test-cluster  pytest tests/cluster; JUnit in $(RESULTS)/cluster.xml

K8S_LAB := lab/k8s

.PHONY: k8s-build
k8s-build: ## compile the lab control plane from the Go module proxy (cached; warm = no-op)
	$(K8S_LAB)/build

.PHONY: k8s-up
k8s-up: deps ## start etcd/apiserver/controller-manager/scheduler/kwok on 127.0.0.1; .lab/kubeconfig
	$(K8S_LAB)/up

.PHONY: k8s-down
k8s-down: ## stop the lab control plane (recorded PIDs) and remove .lab/k8s
	$(K8S_LAB)/down

.PHONY: k8s-status
k8s-status: ## is the lab control plane running and ready?
	$(K8S_LAB)/status

.PHONY: test-cluster
test-cluster: deps ## smoke tests against the real control plane (starts/stops it as needed)
	@mkdir -p $(RESULTS)
	$(BIN)/pytest tests/cluster -p no:cacheprovider --junitxml=$(RESULTS)/cluster.xml
