# SPDX-License-Identifier: GPL-3.0-or-later
# Lab and test infrastructure only; never part of the collection (galaxy.yml build_ignore: lab/).
#
# containers.podman.podman runs `podman exec` without -i, so stdin never reaches the
# container and it declares has_pipelining = False: every task then costs three execs (mkdir
# of a temp dir, the module, rm). `podman exec` costs ~170 ms here, so on a 2-core machine
# that is most of a Molecule run. This subclass adds -i when there is input and enables
# pipelining. Options are containers.podman 1.18's (the documentation is read statically,
# so it is copied, not imported).
from __future__ import annotations

DOCUMENTATION = """
    author: Tomas Tomecek (@TomasTomecek); pipelining by rdmaops.fabric
    name: podman
    short_description: containers.podman.podman with pipelining, for the lab only
    description:
        - The podman connection of containers.podman with C(podman exec -i), so that a module
          can arrive on stdin and Ansible's pipelining works (one C(podman exec) per task).
    options:
      remote_addr:
        description:
          - The ID of the container you want to access.
        default: inventory_hostname
        vars:
          - name: ansible_host
          - name: inventory_hostname
          - name: ansible_podman_host
      remote_user:
        description:
            - User specified via name or UID which is used to execute commands inside the container. If you
              specify the user via UID, you must set C(ANSIBLE_REMOTE_TMP) to a path that exits
               inside the container and is writable by Ansible.
        ini:
          - section: defaults
            key: remote_user
        env:
          - name: ANSIBLE_REMOTE_USER
        vars:
          - name: ansible_user
      podman_extra_args:
        description:
          - Extra arguments to pass to the podman command line.
        default: ''
        ini:
          - section: defaults
            key: podman_extra_args
        vars:
          - name: ansible_podman_extra_args
        env:
          - name: ANSIBLE_PODMAN_EXTRA_ARGS
      podman_executable:
        description:
          - Executable for podman command.
        default: podman
        vars:
          - name: ansible_podman_executable
        env:
          - name: ANSIBLE_PODMAN_EXECUTABLE
"""

import shlex

from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.connection import ensure_connect
from ansible_collections.containers.podman.plugins.connection.podman import Connection as PodmanConnection


class Connection(PodmanConnection):
    """podman exec -i when a module comes on stdin (pipelining)."""

    has_pipelining = True

    @ensure_connect
    def exec_command(self, cmd, in_data=None, sudoable=False):
        if in_data is None:
            return super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        # ConnectionBase.exec_command only logs; call it directly, not the parent's version.
        super(PodmanConnection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        args = ["exec", "-i"]
        if self.user:
            args.extend(("--user", self.user))
        return self._podman(args, shlex.split(to_native(cmd, errors="surrogate_or_strict")), in_data)
