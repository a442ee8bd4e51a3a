"""Stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test creates its sanity venvs without pip and fetches `get-pip.py` from a site our
machines cannot reach. This does the same job with what is reachable: pip from the
interpreter's own `ensurepip`, then pip installs whatever ansible-test asked for (the
exact pip version and packages) from the package index. ansible-test runs this file as
`__main__` with pip's command-line arguments in sys.argv[1:], as it does get-pip.py.
"""

from __future__ import annotations

import runpy
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
# get-pip.py's own flags say what not to add; pip itself does not know them.
OWN_FLAGS = {"install", "--no-setuptools", "--no-wheel"}
sys.argv = ["pip", "install", *[arg for arg in sys.argv[1:] if arg not in OWN_FLAGS]]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
