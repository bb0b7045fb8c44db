"""make install / make uninstall into a DESTDIR: where every file lands, its
mode, the unit's ExecStart= following PREFIX, and an existing renewd.conf
surviving a second install."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from helpers.renewd import REPO, build_dir, require_binary


def _pc(var: str, default: str) -> str:
    """What the Makefile asks pkg-config for when PREFIX=/usr."""
    if shutil.which("pkg-config"):
        r = subprocess.run(["pkg-config", f"--variable={var}", "systemd"],
                           capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.strip():
            return r.stdout.strip()
    return default


def _make(destdir: Path, prefix: str, target: str = "install") -> None:
    require_binary("renewd")
    require_binary("renewctl")
    # -o all: install what is built, never rebuild with other flags; and
    # nothing from an outer make (make e2e) leaks in.
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "DESTDIR",
                        "PREFIX")}
    r = subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), "-o", "all",
         f"BUILD={build_dir()}", f"DESTDIR={destdir}", f"PREFIX={prefix}",
         target],
        capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, f"make {target}:\n{r.stdout}\n{r.stderr}"


def _tree(root: Path) -> dict[str, int]:
    """Every file under root (relative path with a leading /) -> its mode."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            out["/" + str(p.relative_to(root))] = stat.S_IMODE(p.lstat().st_mode)
    return out


def _expected(prefix: str) -> dict[str, int]:
    if prefix == "/usr":
        unitdir = _pc("systemdsystemunitdir", "/usr/lib/systemd/system")
        sysusers = _pc("sysusersdir", "/usr/lib/sysusers.d")
        tmpfiles = _pc("tmpfilesdir", "/usr/lib/tmpfiles.d")
        catalog = _pc("catalogdir", "/usr/lib/systemd/catalog")
    else:
        unitdir = f"{prefix}/lib/systemd/system"
        sysusers = f"{prefix}/lib/sysusers.d"
        tmpfiles = f"{prefix}/lib/tmpfiles.d"
        catalog = f"{prefix}/lib/systemd/catalog"
    files = {
        f"{prefix}/sbin/renewd": 0o755,
        f"{prefix}/bin/renewctl": 0o755,
        "/etc/renewd/renewd.conf": 0o644,
        f"{unitdir}/renewd.service": 0o644,
        f"{unitdir}/renewd.socket": 0o644,
        f"{sysusers}/renewd.conf": 0o644,
        f"{tmpfiles}/renewd.conf": 0o644,
        f"{catalog}/renewd.catalog": 0o644,
        f"{prefix}/share/bash-completion/completions/renewctl": 0o644,
    }
    for m in sorted((REPO / "man").glob("*.[58]")):
        files[f"{prefix}/share/man/man{m.suffix[1:]}/{m.name}"] = 0o644
    return files


@pytest.mark.parametrize("prefix", ["/usr", "/usr/local"])
def test_install_layout(tmp_path, prefix):
    dest = tmp_path / "root"
    _make(dest, prefix)
    want = _expected(prefix)
    got = _tree(dest)
    assert got == want, (
        f"missing: {sorted(set(want) - set(got))}, "
        f"unexpected: {sorted(set(got) - set(want))}, "
        f"modes: { {k: (oct(got[k]), oct(want[k])) for k in got.keys() & want.keys() if got[k] != want[k]} }")

    unit = next(k for k in want if k.endswith("/renewd.service"))
    text = (dest / unit.lstrip("/")).read_text()
    assert f"\nExecStart={prefix}/sbin/renewd\n" in text
    assert "\nType=notify\n" in text and "\nUser=renewd\n" in text
    # The installed pieces are the repository's, byte for byte.
    for src, dst in (("systemd/renewd.socket", ".socket"),
                     ("systemd/renewd.catalog", "renewd.catalog"),
                     ("systemd/renewd.sysusers", "sysusers.d/renewd.conf"),
                     ("systemd/renewd.tmpfiles", "tmpfiles.d/renewd.conf"),
                     ("conf/renewd.conf", "/etc/renewd/renewd.conf")):
        path = next(k for k in want if k.endswith(dst))
        assert (dest / path.lstrip("/")).read_bytes() == \
            (REPO / src).read_bytes(), path


def test_install_keeps_config_and_uninstall(tmp_path):
    dest = tmp_path / "root"
    _make(dest, "/usr")
    conf = dest / "etc/renewd/renewd.conf"
    conf.write_text("# the admin's own\n")
    conf.chmod(0o640)
    _make(dest, "/usr")                 # installing again
    assert conf.read_text() == "# the admin's own\n"
    assert stat.S_IMODE(conf.stat().st_mode) == 0o640
    assert _tree(dest).keys() == _expected("/usr").keys()

    _make(dest, "/usr", "uninstall")
    # Only the admin's configuration is left.
    assert _tree(dest) == {"/etc/renewd/renewd.conf": 0o640}


def test_bash_completion():
    """The installed completion offers commands, options and targets."""
    script = REPO / "completion" / "renewctl.bash"
    probe = f"""
    _init_completion() {{ cur=${{COMP_WORDS[COMP_CWORD]}};
        prev=${{COMP_WORDS[COMP_CWORD-1]}}; words=("${{COMP_WORDS[@]}}");
        cword=$COMP_CWORD; }}
    _filedir() {{ :; }}
    source {script}
    COMP_WORDS=(renewctl ch); COMP_CWORD=1; _renewctl
    echo "1:${{COMPREPLY[*]}}"
    COMP_WORDS=(renewctl plan --pro); COMP_CWORD=2; _renewctl
    echo "2:${{COMPREPLY[*]}}"
    COMP_WORDS=(renewctl plan --product e); COMP_CWORD=3; _renewctl
    echo "3:${{COMPREPLY[*]}}"
    COMP_WORDS=(renewctl mark www.example.jp a); COMP_CWORD=3; _renewctl
    echo "4:${{COMPREPLY[*]}}"
    """
    out = subprocess.run(["bash", "-c", probe], capture_output=True,
                         text=True, timeout=30).stdout
    assert "1:check-csr check-bundle" in out, out
    assert "2:--product" in out, out
    assert "3:ev" in out, out
    assert "4:applied" in out, out
