"""Apache Kafka 3.9 in KRaft mode, single node, from jars that Maven resolves from ``deploy/kafka/pom.xml``."""

from __future__ import annotations

import base64
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from qndti.stack import process
from qndti.stack.errors import StackError

MAIN_CLASS = "kafka.Kafka"
POM = Path(__file__).resolve().parents[2] / "deploy" / "kafka" / "pom.xml"

_SERVER_PROPERTIES = """\
# Written by `qndti stack up`: a single-node KRaft broker for development and tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={data}
num.partitions={partitions}
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=-1
"""

_LOG4J = """\
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File={log}
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
"""


def require(tool: str, hint: str) -> str:
    """The path of ``tool`` or a StackError that says how to install it."""
    path = shutil.which(tool)
    if path is None:
        raise StackError(f"{tool} was not found on PATH. {hint}")
    return path


JAVA_HINT = "Kafka needs Java 17 or newer: on Debian, `apt-get install openjdk-17-jre-headless`."
MAVEN_HINT = "The Kafka jars are resolved with Maven: on Debian, `apt-get install maven`."


@dataclass(frozen=True)
class KafkaBroker:
    """One broker whose files live under ``home`` (lib/, config/, data/, logs/)."""

    home: Path
    lib: Path
    port: int
    controller_port: int
    partitions: int = 4

    @property
    def bootstrap(self) -> str:
        """Bootstrap address of the broker."""
        return f"127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        """The broker's console log."""
        return self.home / "logs" / "server.out"

    def fetch(self) -> None:
        """Resolve the broker jars into ``lib`` with Maven (once)."""
        if any(self.lib.glob("kafka_2.13-*.jar")):
            return
        mvn = require("mvn", MAVEN_HINT)
        self.lib.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(  # noqa: S603 - fixed arguments
            [
                mvn,
                "-q",
                "-B",
                "-f",
                str(POM),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={self.lib}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise StackError(f"Maven could not resolve the Kafka jars:\n{result.stdout}\n{result.stderr}")

    def _java(self, *args: str) -> list[str]:
        java = require("java", JAVA_HINT)
        return [
            java,
            "-Xms256m",
            "-Xmx768m",
            "-cp",
            f"{self.lib}/*",
            f"-Dlog4j.configuration=file:{self.home / 'config' / 'log4j.properties'}",
            *args,
        ]

    def configure(self) -> Path:
        """Write the broker's configuration and format its storage once."""
        config = self.home / "config"
        data = self.home / "data"
        config.mkdir(parents=True, exist_ok=True)
        (self.home / "logs").mkdir(parents=True, exist_ok=True)
        properties = config / "server.properties"
        properties.write_text(
            _SERVER_PROPERTIES.format(
                port=self.port, controller_port=self.controller_port, data=data, partitions=self.partitions
            )
        )
        (config / "log4j.properties").write_text(_LOG4J.format(log=self.home / "logs" / "kafka.log"))
        if not (data / "meta.properties").exists():
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            result = subprocess.run(  # noqa: S603 - fixed arguments
                # "=" keeps an id that starts with "-" (base64url allows it) from being read as an option.
                self._java("kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "-c", str(properties)),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise StackError(f"Formatting Kafka storage failed:\n{result.stdout}\n{result.stderr}")
        return properties

    def start(self, timeout: float = 90.0) -> int:
        """Start the broker in the background and wait until it accepts connections; return its pid."""
        properties = self.configure()
        server_log = self.home / "logs" / "kafka.log"
        since = server_log.stat().st_size if server_log.exists() else 0
        pid = process.spawn(self._java(MAIN_CLASS, str(properties)), log=self.log, cwd=self.home)
        self.wait_ready(pid, timeout, server_log, since)
        return pid

    def wait_ready(self, pid: int, timeout: float, server_log: Path, since: int) -> None:
        """Wait until the broker's log says it started (after byte ``since``) and its port answers."""
        deadline = time.monotonic() + timeout
        missing = 0
        while time.monotonic() < deadline:
            # Twice in a row: the java launcher may re-exec itself, and its command line reads empty meanwhile.
            missing = 0 if process.is_running(pid, MAIN_CLASS) else missing + 1
            if missing >= 2:
                raise StackError(f"Kafka exited during start. Last lines of {self.log}:\n{process.tail(self.log)}")
            if _logged_since(server_log, since, "Kafka Server started") and _port_open(self.port):
                return
            time.sleep(0.3)
        raise StackError(f"Kafka did not become ready in {timeout:.0f} s; see {server_log}")


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _logged_since(log: Path, since: int, marker: str) -> bool:
    if not log.exists():
        return False
    with log.open("rb") as handle:
        handle.seek(since if log.stat().st_size >= since else 0)
        return marker.encode() in handle.read()
