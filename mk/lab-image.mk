# Lab node image and podman set-up (issue 3). Included by the top-level Makefile.

.PHONY: podman-setup
podman-setup: ## install podman/runc/debootstrap when missing; fix containers.conf only if podman fails
	@lab/podman/setup.sh

.PHONY: lab-image
lab-image: podman-setup ## build or reuse the offline lab node image (base + hwsim layer, cached by recipe hash)
	@lab/image/build.sh >/dev/null

.PHONY: lab-image-base
lab-image-base: podman-setup ## build or reuse only the base node image (debootstrap + podman import)
	@lab/image/build.sh --base-only >/dev/null

.PHONY: lab-image-prune
lab-image-prune: ## remove node images and cached rootfs tarballs of other recipes
	@lab/image/build.sh --prune >/dev/null
