"""A local JetStream cluster of ``nats-server`` processes on loopback: free ports, cluster routes and a
store folder per node. For tests, benchmarks and a one-host match day; production points the NATS
sink at the broadcaster's own cluster."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from core.serve.ports import free_ports


@dataclass
class Node:
    """One server: its client port, route port, store folder and process."""

    name: str
    port: int
    route_port: int
    monitor_port: int
    store: Path
    process: subprocess.Popen | None = None
    log: Path = field(default=Path())

    @property
    def url(self) -> str:
        """The client URL."""
        return f"nats://127.0.0.1:{self.port}"

    def meta_leader(self) -> str:
        """The JetStream meta leader this node knows, from its monitoring endpoint ('' if none yet)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.monitor_port}/jsz", timeout=2.0) as reply:
                return json.load(reply).get("meta_cluster", {}).get("leader", "")
        except (OSError, ValueError):  # not listening yet, or a reply cut short
            return ""

    def log_tail(self, lines: int = 8) -> str:
        """The last lines of the node's log."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class NatsCluster:
    """``size`` JetStream nodes routed to each other; start, kill and restart single nodes."""

    def __init__(self, folder: str | Path, size: int = 3, name: str = "matchsync") -> None:
        self.binary = shutil.which("nats-server")
        if self.binary is None:
            raise FileNotFoundError("nats-server is not installed (Debian package nats-server)")
        self.folder = Path(folder)
        self.name = name
        ports = free_ports(3 * size)
        self.nodes = [Node(f"n{i}", *ports[3 * i:3 * i + 3], self.folder / f"n{i}") for i in range(size)]
        for node in self.nodes:
            node.log = self.folder / f"{node.name}.log"

    @property
    def servers(self) -> list[str]:
        """Every node's client URL."""
        return [node.url for node in self.nodes]

    @property
    def addresses(self) -> str:
        """``HOST:PORT,...`` as a NATS sink spec lists them."""
        return ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)

    def start_node(self, node: Node) -> None:
        """Start (or restart) one node with its routes to the others."""
        node.store.mkdir(parents=True, exist_ok=True)
        routes = ",".join(f"nats-route://127.0.0.1:{n.route_port}" for n in self.nodes if n is not node)
        node.process = subprocess.Popen(
            [self.binary, "-a", "127.0.0.1", "-p", str(node.port), "-m", str(node.monitor_port), "-n", node.name,
             "-js", "-sd", str(node.store), "--cluster_name", self.name,
             "--cluster", f"nats://127.0.0.1:{node.route_port}", "--routes", routes],
            stdout=subprocess.DEVNULL, stderr=node.log.open("ab"))

    def start(self, timeout_s: float = 20.0) -> None:
        """Start every node and wait until JetStream has a meta leader."""
        for node in self.nodes:
            self.start_node(node)
        self.wait_ready(timeout_s)

    def wait_ready(self, timeout_s: float) -> None:
        """Wait until every running node knows the cluster's JetStream meta leader (so streams with a
        replica on each node can be placed), as its monitoring endpoint says (under load a node's log was seen
        still without the leader line 30 s after the election). A node that exits meanwhile fails at once."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            running = [n for n in self.nodes if n.process is not None]
            for node in running:
                if node.process.poll() is not None:
                    raise RuntimeError(f"nats node {node.name} exited ({node.process.returncode}):\n"
                                       f"{node.log_tail()}")
            if all(node.meta_leader() for node in running):
                return
            time.sleep(0.1)
        tails = "\n".join(f"{n.name}: leader {n.meta_leader()!r}\n{n.log_tail()}" for n in self.nodes)
        raise TimeoutError(f"nats cluster not ready after {timeout_s} s (logs in {self.folder}):\n{tails}")

    def kill(self, node: Node) -> None:
        """kill -9 one node."""
        if node.process is not None:
            node.process.send_signal(signal.SIGKILL)
            node.process.wait()
            node.process = None

    def stop(self) -> None:
        """Stop every node that still runs."""
        for node in self.nodes:
            if node.process is not None:
                node.process.terminate()
        for node in self.nodes:
            if node.process is not None:
                try:
                    node.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.kill(node)
                node.process = None
