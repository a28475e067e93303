"""A throw-away PostgreSQL server for the CLI tests (tests/cli/identity_test.py).

The same recipe as the C++ tests' helper (src/store/test_db.h, docs/STORE.md): Debian's
postgresql binaries ($QWL_PG_BIN or the newest /usr/lib/postgresql/*/bin), a data folder copied
from the initdb result that helper caches in /tmp (or made by initdb when there is none), and
`postgres` started directly as a child of this process, as the `postgres` user when we run as
root, on a free loopback port with fsync off. The child gets SIGQUIT if this process dies
(PR_SET_PDEATHSIG), so a crashed test leaves no server behind. Missing binaries raise, naming
the package: the PostgreSQL tests fail, they are never skipped.
"""
import ctypes
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def _bin_dir():
    env = os.environ.get("QWL_PG_BIN")
    if env:
        return env
    dirs = [d for d in glob.glob("/usr/lib/postgresql/*/bin") if os.path.exists(os.path.join(d, "postgres"))]
    if not dirs:
        raise RuntimeError("PostgreSQL server binaries not found: apt-get install postgresql")
    return max(dirs, key=lambda d: int(os.path.basename(os.path.dirname(d))))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chown_tree(path, uid, gid):
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, gid)


class PgServer:
    def __init__(self):
        self.bin = _bin_dir()
        version = os.path.basename(os.path.dirname(self.bin))
        root = os.geteuid() == 0
        pw = pwd.getpwnam("postgres") if root else None
        self.uid = pw.pw_uid if pw else os.geteuid()
        self.gid = pw.pw_gid if pw else os.getegid()
        self.dir = tempfile.mkdtemp(prefix="qwl-cli-pg-")
        os.chmod(self.dir, 0o755)
        data = os.path.join(self.dir, "data")
        cache = "/tmp/qwl-pg-initdb-%s-%d/data" % (version, self.uid)
        if os.path.exists(os.path.join(cache, "PG_VERSION")):
            shutil.copytree(cache, data, symlinks=True)
        else:
            os.mkdir(data)
            _chown_tree(data, self.uid, self.gid)
            subprocess.run([os.path.join(self.bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
                            "-E", "UTF8", "--no-locale", "--no-sync"], check=True, capture_output=True,
                           preexec_fn=self._as_postgres)
        self.sock = os.path.join(self.dir, "sock")
        os.mkdir(self.sock)
        _chown_tree(self.dir, self.uid, self.gid)
        os.chmod(data, 0o700)
        self.port = _free_port()
        self.log = open(os.path.join(self.dir, "postgres.log"), "w")
        self.proc = subprocess.Popen(
            [os.path.join(self.bin, "postgres"), "-D", data, "-k", self.sock, "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=100"],
            stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=self._as_postgres_child)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited: " + open(self.log.name).read()[-2000:])
            if self.psql("postgres", "SELECT 1", check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("postgres not ready after 60 s")

    def _as_postgres(self):
        if os.geteuid() == 0:
            os.setgid(self.gid)
            os.setuid(self.uid)

    def _as_postgres_child(self):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGQUIT)  # PR_SET_PDEATHSIG
        self._as_postgres()

    def psql(self, database, sql, check=True):
        return subprocess.run([os.path.join(self.bin, "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                               "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
                              capture_output=True, text=True, check=check)

    def url(self, database):
        return "postgresql://postgres@127.0.0.1:%d/%s" % (self.port, database)

    def create_database(self, name):
        self.psql("postgres", "CREATE DATABASE %s" % name)
        return self.url(name)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            self.proc.wait(timeout=30)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
