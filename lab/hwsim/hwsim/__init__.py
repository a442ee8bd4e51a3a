"""hwsim: simulated RDMA NIC hardware for lab hosts (see lab/hwsim/README.md)."""

__version__ = "0.1.0"
