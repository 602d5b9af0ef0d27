"""Starts one prefetchd daemon (demo mode: embedded S3) for the session and yields its gRPC target.

The daemon is started from the built jar (nfs-gateway/target, as `mvn package` leaves it) with a bearer token
taken from PREFETCHD_GRPC_TOKEN and the demo's two datasets configured (--dataset);
PREFETCHD_TEST_TARGET=host:port skips starting one.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "test-token-123"


@pytest.fixture(scope="session")
def gateway():
    if os.environ.get("PREFETCHD_TEST_TARGET"):
        yield os.environ["PREFETCHD_TEST_TARGET"]
        return
    target = ROOT / "nfs-gateway" / "target"
    jar = target / "nfs-gateway-0.1.0-SNAPSHOT.jar"
    if not jar.exists():
        pytest.fail("build the daemon first: mvn -pl nfs-gateway -am package -DskipTests (%s missing)" % jar)
    state = tempfile.mkdtemp(prefix="prefetchd-pytest-")
    env = dict(os.environ, PREFETCHD_GRPC_TOKEN=TOKEN)
    proc = subprocess.Popen(
        ["java", "-Xmx512m", "--add-opens=java.base/java.nio=ALL-UNNAMED", "-cp", "%s:%s/lib/*" % (jar, target),
         "io.prefetchd.gateway.daemon.Main", "demo", "--state-dir", state, "--nfs-port", "0",
         "--http-port", "-1", "--grpc-port", "0", "--s3-api-port", "0",
         # indexed in the background from start-up; the tests' registrations join these builds
         "--dataset", "imagefolder:imagefolder/train", "--dataset", "webdataset:webdataset"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines = []
    found = {}

    def pump():
        for line in proc.stdout:
            lines.append(line)
            m = re.search(r"hints:\s+grpc (\S+):(\d+)", line)
            if m:
                found["target"] = "127.0.0.1:%s" % m.group(2)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.time() + 120
    while "target" not in found and proc.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    try:
        if "target" not in found:
            pytest.fail("daemon did not print its grpc line:\n" + "".join(lines))
        yield found["target"]
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(state, ignore_errors=True)   # the daemon's cache, staging and reports


@pytest.fixture
def client(gateway):
    from prefetchd_client import HintClient
    with HintClient(gateway, token=TOKEN) as c:
        yield c
