"""A single-node SLURM on this machine, for the cluster test: install, start, stop (by PID).

Run as root only: ``ensure_installed`` installs Debian's slurmctld, slurmd, slurm-client and munge
with apt-get when they are missing (a change to the host that stays, like any package install), and
the cluster links /etc/slurm/slurm.conf for its lifetime (removed again by ``stop``).

Debian's packages start no daemons (there is no systemd here), so: munged as the munge user,
then slurmctld, then slurmd -N localhost, each in the foreground as a child of the test, and
wait for the node to be idle. No slurmdbd: the executor uses squeue for job status, which
needs MinJobAge (here an hour, longer than a run) so finished jobs stay visible.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

PACKAGES = ["slurmctld", "slurmd", "slurm-client", "munge"]


def ensure_installed() -> None:
    if all(shutil.which(cmd) for cmd in ("slurmctld", "slurmd", "sbatch", "munged")):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=False, capture_output=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", *PACKAGES], check=True, capture_output=True, env=env)


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024 * 8 // 10
    return 4000


class Cluster:
    SYSTEM_CONF = Path("/etc/slurm/slurm.conf")

    def __init__(self, root: Path) -> None:
        self.root = root
        self.procs: list[subprocess.Popen] = []
        self.conf = root / "slurm.conf"
        self.env = dict(os.environ, SLURM_CONF=str(self.conf))
        self.linked = False
        self.created_dir = False

    def write_conf(self) -> None:
        for d in ("state", "spool", "log"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        # The node declares twice the machine's cores. The executor polls job states at an interval that
        # grows by 10 s while no job finishes (up to 180 s), so with one job per core a core often idles
        # until the next poll; two jobs per core keep it busy (each job is single-threaded here).
        # SlurmdParameters=config_overrides lets slurmd take the declared count over the hardware's.
        cpus = 2 * (os.cpu_count() or 1)
        self.conf.write_text(f"""ClusterName=edgecompress-test
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
StateSaveLocation={self.root}/state
SlurmdSpoolDir={self.root}/spool
SlurmctldPidFile={self.root}/slurmctld.pid
SlurmdPidFile={self.root}/slurmd.pid
SlurmctldLogFile={self.root}/log/slurmctld.log
SlurmdLogFile={self.root}/log/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ReturnToService=2
MinJobAge=3600
SlurmdParameters=config_overrides
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
NodeName=localhost CPUs={cpus} RealMemory={_memory_mb()} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
""")
        # srun inside a job looks for the default path (SLURM_CONF does not reach job steps), so the
        # test links it there for its lifetime; stop() removes the link and any folder it created.
        if self.SYSTEM_CONF.exists() or self.SYSTEM_CONF.is_symlink():
            if not (self.SYSTEM_CONF.is_symlink() and "edgecompress" in self.SYSTEM_CONF.read_text()):
                raise RuntimeError(f"{self.SYSTEM_CONF} exists: refusing to start a test cluster over a real one")
            self.SYSTEM_CONF.unlink()  # a link left by a killed earlier run of this test
        if not self.SYSTEM_CONF.parent.exists():
            self.SYSTEM_CONF.parent.mkdir(parents=True)
            self.created_dir = True
        self.SYSTEM_CONF.symlink_to(self.conf)
        self.linked = True

    def _start(self, cmd: list[str]) -> None:
        log = open(self.root / "log" / f"{Path(cmd[0] if cmd[0] != 'setpriv' else cmd[-2]).name}.out", "w")  # noqa: SIM115
        self.procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env))

    def start(self, timeout: float = 60) -> None:
        self.write_conf()
        Path("/run/munge").mkdir(parents=True, exist_ok=True)
        shutil.chown("/run/munge", "munge", "munge")
        self._start(["setpriv", "--reuid=munge", "--regid=munge", "--init-groups", "/usr/sbin/munged", "--foreground"])
        self._wait(lambda: Path("/run/munge/munge.socket.2").exists(), timeout, "munged did not start")
        self._start(["/usr/sbin/slurmctld", "-D", "-f", str(self.conf)])
        self._wait(lambda: self._run(["scontrol", "ping"]).returncode == 0, timeout, "slurmctld did not answer")
        self._start(["/usr/sbin/slurmd", "-D", "-N", "localhost", "-f", str(self.conf)])
        self._wait(lambda: "idle" in self._run(["sinfo", "-h", "-o", "%T"]).stdout, timeout, "node never idle")

    def _run(self, cmd: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(cmd, capture_output=True, text=True, env=self.env)

    def _wait(self, ready, timeout: float, message: str) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(p.poll() is not None for p in self.procs):
                raise RuntimeError(f"{message}: a daemon exited; see {self.root}/log")
            if ready():
                return
            time.sleep(0.3)
        raise TimeoutError(f"{message} within {timeout} s; see {self.root}/log")

    def stop(self) -> None:
        """Stop the daemons this harness started, newest first, by PID."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self.linked and self.SYSTEM_CONF.is_symlink():
            self.SYSTEM_CONF.unlink()
            self.linked = False
        if self.created_dir and not any(self.SYSTEM_CONF.parent.iterdir()):
            self.SYSTEM_CONF.parent.rmdir()
            self.created_dir = False
