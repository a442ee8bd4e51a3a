"""`python3 -m hwsim TOOL ARGS...` runs a tool without installing the links."""

from hwsim.main import run

run()
