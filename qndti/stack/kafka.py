"""Apache Kafka 3.9 in KRaft mode, single node, from jars that Maven resolves from ``deploy/kafka/pom.xml``.

The broker listens in plain text on loopback; with a :class:`SaslSslListener` it also listens with ``SASL_SSL``
(TLS from PEM files, SCRAM-SHA-512 users created when its storage is formatted, PLAIN users in its configuration),
as production brokers do.
"""

from __future__ import annotations

import base64
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
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
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}{sasl_listener}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}{sasl_advertised}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT{sasl_map}
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

# The controller and the other brokers keep talking in plain text on loopback; clients use either listener.
_SASL_SSL_PROPERTIES = """\
sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location={keystore}
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config={scram_module} required;
listener.name.sasl_ssl.plain.sasl.jaas.config={plain_module} required{plain_users};
"""
_SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
_PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"

# Kept to characters that need no quoting in the storage tool's --add-scram argument or a JAAS option.
_CREDENTIAL = re.compile(r"[A-Za-z0-9._~-]+")

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
class SaslSslListener:
    """A ``SASL_SSL`` listener on ``127.0.0.1:port`` beside the plain one.

    ``certificate`` is the broker's PEM certificate (chain) and ``key`` its unencrypted PKCS#8 PEM key.
    ``scram_users`` become SCRAM-SHA-512 credentials when the storage is first formatted (a broker formatted
    earlier keeps the users it has); ``plain_users`` are written into the broker's configuration. Names and
    passwords use letters, digits and ``. _ ~ -`` only.
    """

    port: int
    certificate: Path
    key: Path
    scram_users: Mapping[str, str] = field(default_factory=dict)
    plain_users: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, password in (*self.scram_users.items(), *self.plain_users.items()):
            if not (_CREDENTIAL.fullmatch(name) and _CREDENTIAL.fullmatch(password)):
                raise ValueError(f"Kafka user {name!r}: names and passwords may use letters, digits and . _ ~ - only")

    @property
    def bootstrap(self) -> str:
        """Bootstrap address of the listener."""
        return f"127.0.0.1:{self.port}"

    def properties(self, keystore: Path) -> str:
        """The broker properties of this listener, with the key store file at ``keystore``."""
        plain = "".join(f' user_{name}="{password}"' for name, password in self.plain_users.items())
        return _SASL_SSL_PROPERTIES.format(
            keystore=keystore, scram_module=_SCRAM_MODULE, plain_module=_PLAIN_MODULE, plain_users=plain
        )

    def scram_arguments(self) -> list[str]:
        """The storage tool's arguments that create the SCRAM users."""
        return [
            f"--add-scram=SCRAM-SHA-512=[name={name},password={password}]"
            for name, password in self.scram_users.items()
        ]


@dataclass(frozen=True)
class KafkaBroker:
    """One broker whose files live under ``home`` (lib/, config/, data/, logs/)."""

    home: Path
    lib: Path
    port: int
    controller_port: int
    partitions: int = 4
    sasl_ssl: SaslSslListener | None = None

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
        text = _SERVER_PROPERTIES.format(
            port=self.port,
            controller_port=self.controller_port,
            data=data,
            partitions=self.partitions,
            sasl_listener=f",SASL_SSL://127.0.0.1:{self.sasl_ssl.port}" if self.sasl_ssl else "",
            sasl_advertised=f",SASL_SSL://{self.sasl_ssl.bootstrap}" if self.sasl_ssl else "",
            sasl_map=",SASL_SSL:SASL_SSL" if self.sasl_ssl else "",
        )
        if self.sasl_ssl is not None:
            # One PEM file with the key and the certificate chain: the broker's PEM key store.
            keystore = config / "keystore.pem"
            keystore.touch(mode=0o600)
            keystore.write_text(self.sasl_ssl.key.read_text() + self.sasl_ssl.certificate.read_text())
            text += self.sasl_ssl.properties(keystore)
        properties.touch(mode=0o600)
        properties.write_text(text)
        (config / "log4j.properties").write_text(_LOG4J.format(log=self.home / "logs" / "kafka.log"))
        if not (data / "meta.properties").exists():
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            result = subprocess.run(  # noqa: S603 - fixed arguments
                # "=" keeps an id that starts with "-" (base64url allows it) from being read as an option.
                self._java(
                    "kafka.tools.StorageTool",
                    "format",
                    f"--cluster-id={cluster_id}",
                    "-c",
                    str(properties),
                    *(self.sasl_ssl.scram_arguments() if self.sasl_ssl else []),
                ),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                # The tool's output names no password; its arguments (with the SCRAM passwords) are not shown.
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
            ports = [self.port] + ([self.sasl_ssl.port] if self.sasl_ssl else [])
            if _logged_since(server_log, since, "Kafka Server started") and all(_port_open(p) for p in ports):
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
