"""renewctl's offline calendar commands: `plan`, `maintenance`, `version`,
the help and the command table, checked against an independent Python
computation of the contract calendar (holidays, business days, the 4th
Wednesday windows) for many dates, and under several host time zones."""

import datetime as dt
import json
import os
import pty
import re
import subprocess

import pytest

from helpers.renewd import VALGRIND, scaled, wrap

BUILD = os.environ.get("RENEWD_BUILD", "build")
RENEWCTL = os.path.join(BUILD, "renewctl")
JST = dt.timezone(dt.timedelta(hours=9))
ODD_ZONES = ["UTC", "America/New_York", "Pacific/Chatham", "Asia/Kolkata"]


def run(*args, tz="Pacific/Chatham", env_extra=None, check=True):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR",)}
    env["TZ"] = tz
    if env_extra:
        env.update(env_extra)
    p = subprocess.run(wrap([RENEWCTL, *args]), capture_output=True,
                       text=True, env=env, timeout=scaled(30))
    if check and p.returncode != 0:
        raise AssertionError(f"renewctl {' '.join(args)}: rc {p.returncode}"
                             f"\n{p.stdout}\n{p.stderr}")
    return p


def run_json(*args, **kw):
    return json.loads(run(*args, "--json", **kw).stdout)


# --- an independent model of the contract calendar --------------------------

def nth_weekday(y, m, weekday, n):
    """Day of the month of the nth `weekday` (Mon=0) of (y, m)."""
    first = dt.date(y, m, 1)
    return 1 + (weekday - first.weekday()) % 7 + 7 * (n - 1)


def equinox(y, autumn):
    c = 23.2488 if autumn else 20.8431
    return int(c + 0.242194 * (y - 1980) - int((y - 1980) / 4))


def national_holidays(y):
    """The national holidays of year y (2022 and later rules)."""
    d = dt.date
    days = {
        d(y, 1, 1): "New Year's Day",
        d(y, 1, nth_weekday(y, 1, 0, 2)): "Coming of Age Day",
        d(y, 2, 11): "National Foundation Day",
        d(y, 2, 23): "The Emperor's Birthday",
        d(y, 3, equinox(y, False)): "Vernal Equinox Day",
        d(y, 4, 29): "Showa Day",
        d(y, 5, 3): "Constitution Memorial Day",
        d(y, 5, 4): "Greenery Day",
        d(y, 5, 5): "Children's Day",
        d(y, 7, nth_weekday(y, 7, 0, 3)): "Marine Day",
        d(y, 8, 11): "Mountain Day",
        d(y, 9, nth_weekday(y, 9, 0, 3)): "Respect for the Aged Day",
        d(y, 9, equinox(y, True)): "Autumnal Equinox Day",
        d(y, 10, nth_weekday(y, 10, 0, 2)): "Sports Day",
        d(y, 11, 3): "Culture Day",
        d(y, 11, 23): "Labour Thanksgiving Day",
    }
    assert len(days) == 16
    return days


_HOLIDAYS = {}


def holidays(y):
    if y in _HOLIDAYS:
        return _HOLIDAYS[y]
    assert 2022 <= y <= 2099, "the model covers the current law only"
    nat = {}
    for yy in (y - 1, y, y + 1):
        nat.update(national_holidays(yy))
    out = dict(nat)
    one = dt.timedelta(days=1)
    for day in sorted(nat):
        if day.weekday() == 6:              # Sunday: the next free day
            sub = day + one
            while sub in nat:
                sub += one
            out[sub] = "Substitute Holiday"
    for day in nat:
        between = day + one
        if between not in nat and between + one in nat:
            out.setdefault(between, "Citizens' Holiday")
    _HOLIDAYS[y] = {k: v for k, v in out.items() if k.year == y}
    return _HOLIDAYS[y]


def is_holiday(day):
    return day in holidays(day.year)


def closed_default(day):
    return (day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3)


def is_business(day, closed=closed_default):
    return day.weekday() < 5 and not is_holiday(day) and not closed(day)


def fourth_wednesday(y, m):
    first = dt.date(y, m, 1)
    first_wed = 1 + (2 - first.weekday()) % 7
    return dt.date(y, m, first_wed + 21)


def window_of(y, m, start=(20, 0), end=(8, 0)):
    day = fourth_wednesday(y, m)
    s = dt.datetime(day.year, day.month, day.day, *start, tzinfo=JST)
    e = dt.datetime(day.year, day.month, day.day, *end, tzinfo=JST)
    return s, e + dt.timedelta(days=1)


def defer(t):
    for back in (0, 1):
        y, m = t.year, t.month - back
        if m == 0:
            y, m = y - 1, 12
        s, e = window_of(y, m)
        if s <= t < e:
            return e
    return t


def apply_by(expiry, n):
    day, found = expiry, 0
    while found < n:
        if is_business(day):
            found += 1
        day -= dt.timedelta(days=1)
    while not is_business(day):
        day -= dt.timedelta(days=1)
    return day


def iso(t):
    return t.astimezone(JST).isoformat()


def model_plan(expiry, product, thresholds=(90, 60, 45, 30, 15),
               remind_at=(9, 0)):
    n = (5 if product == "ssl" else 10) + 1
    a = apply_by(expiry, n)
    if a == fourth_wednesday(a.year, a.month):
        deadline = dt.datetime(a.year, a.month, a.day, 20, 0, tzinfo=JST)
    else:
        deadline = dt.datetime(a.year, a.month, a.day, 23, 59, 59,
                               tzinfo=JST)
    lapse_day = expiry + dt.timedelta(days=1)
    lapse = dt.datetime(lapse_day.year, lapse_day.month, lapse_day.day,
                        tzinfo=JST)
    reminders = []
    for t in thresholds:
        day = expiry - dt.timedelta(days=t)
        due = dt.datetime(day.year, day.month, day.day, *remind_at,
                          tzinfo=JST)
        reminders.append({"threshold": t, "due": iso(defer(due))})
    return {
        "expiry": expiry.isoformat(), "product": product,
        "apply_by": a.isoformat(), "apply_deadline": iso(deadline),
        "lapse": iso(lapse), "reminders": reminders,
    }


def test_model_matches_the_official_counts():
    # Holidays per year from the Cabinet Office's list (国民の祝日について).
    official = {2022: 16, 2023: 17, 2024: 21, 2025: 19, 2026: 18, 2027: 17,
                2028: 16, 2029: 19, 2030: 19}
    for y, n in official.items():
        assert len(holidays(y)) == n, y
    assert dt.date(2026, 9, 22) in holidays(2026)
    assert holidays(2024)[dt.date(2024, 9, 23)] == "Substitute Holiday"


# --- plan ----------------------------------------------------------------------

def test_plan_product_example():
    got = run_json("plan", "--expiry", "2027-03-31")
    assert got["expiry"] == "2027-03-31"
    assert got["product"] == "ssl"
    assert got["apply_by"] == "2027-03-23"
    assert got["apply_deadline"] == "2027-03-23T23:59:59+09:00"
    assert got["lapse"] == "2027-04-01T00:00:00+09:00"
    assert got["reminders"][0] == {"threshold": 90,
                                   "due": "2026-12-31T09:00:00+09:00"}
    assert [r["threshold"] for r in got["reminders"]] == [90, 60, 45, 30, 15]
    assert got == model_plan(dt.date(2027, 3, 31), "ssl")


def spread_dates():
    start, end = dt.date(2025, 1, 1), dt.date(2035, 12, 31)
    span = (end - start).days
    # Under valgrind, which looks at memory rather than at the calendar,
    # one date in twenty of the even spread (and every special day below):
    # 200 runs of renewctl cost about three minutes there.
    step = 20 if VALGRIND else 1
    dates = {start + dt.timedelta(days=span * i // 199)
             for i in range(0, 200, step)}
    # and the days where calendars go wrong
    for s in ["2026-05-07", "2026-05-06", "2026-09-24", "2026-09-25",
              "2027-01-04", "2027-01-06", "2026-12-03", "2027-03-11",
              "2025-05-07", "2030-01-04", "2032-09-24", "2026-12-31",
              "2028-02-29", "2029-05-07", "2033-01-04"]:
        dates.add(dt.date.fromisoformat(s))
    return sorted(dates)


@pytest.mark.parametrize("product", ["ssl", "ev"])
def test_plan_many_dates_against_model(product):
    mismatches = []
    for expiry in spread_dates():
        got = run_json("plan", "--expiry", expiry.isoformat(), "--product",
                       product)
        want = model_plan(expiry, product)
        if got != want:
            mismatches.append((expiry.isoformat(), got, want))
    assert not mismatches, mismatches[:3]


def test_plan_deadline_on_a_window_evening():
    # A lands on the 4th Wednesday: the CA stops taking applications at 20:00.
    got = run_json("plan", "--expiry", "2026-12-03")
    assert got["apply_by"] == "2026-11-25"
    assert got["apply_deadline"] == "2026-11-25T20:00:00+09:00"
    # ... also in a five-Wednesday month (2026-12: the 23rd, not the 30th).
    got = run_json("plan", "--expiry", "2027-01-06")
    assert got["apply_by"] == "2026-12-23"
    assert got["apply_deadline"] == "2026-12-23T20:00:00+09:00"


@pytest.mark.parametrize("tz", ODD_ZONES)
def test_plan_does_not_depend_on_tz(tz):
    base = run("plan", "--expiry", "2027-03-31", "--json", tz="Asia/Tokyo")
    other = run("plan", "--expiry", "2027-03-31", "--json", tz=tz)
    assert other.stdout == base.stdout
    human_base = run("plan", "--expiry", "2027-01-06", tz="Asia/Tokyo")
    human = run("plan", "--expiry", "2027-01-06", tz=tz)
    assert human.stdout == human_base.stdout


def test_plan_human():
    out = run("plan", "--expiry", "2027-01-06").stdout
    assert "JST" in out and "UTC+09:00" in out
    assert "2026-12-23 Wed" in out
    assert "2026-12-23 Wed 20:00" in out           # the deadline
    assert "New Year's Day" in out                 # 2027-01-01, named
    assert "2026-10-08 Thu 09:00" in out           # reminder 90
    assert "\x1b[" not in out                      # not a terminal
    for line in out.splitlines():
        assert len(line) <= 80, line
        assert line == line.rstrip(), line


def test_plan_human_under_chatham():
    out = run("plan", "--expiry", "2027-03-31", tz="Pacific/Chatham").stdout
    assert re.search(r"Apply by \(A\)\s+2027-03-23 Tue", out)
    assert re.search(r"Apply deadline\s+2027-03-23 Tue 23:59:59", out)
    assert re.search(r"Lapse\s+2027-04-01 Thu 00:00", out)
    assert re.search(r"90 days\s+2026-12-31 Thu 09:00", out)


def test_plan_silver_week_named():
    out = run("plan", "--expiry", "2026-09-25").stdout
    for name in ["Respect for the Aged Day", "Citizens' Holiday",
                 "Autumnal Equinox Day"]:
        assert name in out


def test_plan_usage_errors():
    for args in (["plan"], ["plan", "--expiry", "2027-02-30"],
                 ["plan", "--expiry", "2027-03-31", "--product", "dv"],
                 ["plan", "--expiry", "2027-03-31", "stray"],
                 ["plan", "--expiry"], ["plan", "--frobnicate"],
                 ["plan", "--expiry", "2027-03-31", "--lifetime", "0"]):
        p = run(*args, check=False)
        assert p.returncode == 3, args
        assert p.stdout == ""
        assert "usage: renewctl plan" in p.stderr


# --- maintenance ---------------------------------------------------------------

def test_maintenance_product_example():
    got = run_json("maintenance", "--after", "2026-11-24T09:00:00+09:00",
                   "--count", "1")
    assert got == {"windows": [{"start": "2026-11-25T20:00:00+09:00",
                                "end": "2026-11-26T08:00:00+09:00"}]}


def test_maintenance_in_progress_comes_first():
    # 13:00Z is 22:00 JST, two hours into the window.
    got = run_json("maint", "--after", "2026-11-25T13:00:00Z", "--count", "2")
    assert got["windows"][0]["start"] == "2026-11-25T20:00:00+09:00"
    assert got["windows"][1]["start"] == "2026-12-23T20:00:00+09:00"
    # 23:00Z is 08:00 JST the next morning: that window is over.
    got = run_json("maint", "--after", "2026-11-25T23:00:00Z", "--count", "1")
    assert got["windows"][0]["start"] == "2026-12-23T20:00:00+09:00"
    got = run_json("maint", "--after", "2026-11-26T08:00", "--count", "1")
    assert got["windows"][0]["start"] == "2026-12-23T20:00:00+09:00"


def test_maintenance_every_month_2025_2035():
    got = run_json("maintenance", "--after", "2025-01-01", "--count", "132")
    want = []
    for y in range(2025, 2036):
        for m in range(1, 13):
            s, e = window_of(y, m)
            want.append({"start": iso(s), "end": iso(e)})
    assert got["windows"] == want


def test_maintenance_five_wednesday_months():
    got = run_json("maintenance", "--after", "2026-12-01", "--count", "1")
    assert got["windows"][0]["start"] == "2026-12-23T20:00:00+09:00"
    got = run_json("maintenance", "--after", "2025-12-01", "--count", "1")
    assert got["windows"][0]["start"] == "2025-12-24T20:00:00+09:00"


def test_maintenance_default_is_now():
    got = run_json("maintenance", "--count", "3")
    assert len(got["windows"]) == 3
    now = dt.datetime.now(dt.timezone.utc)
    end = dt.datetime.fromisoformat(got["windows"][0]["end"])
    assert end > now
    assert end - now < dt.timedelta(days=40)


@pytest.mark.parametrize("tz", ODD_ZONES)
def test_maintenance_human(tz):
    out = run("maintenance", "--after", "2026-11-26T07:00", "--count", "3",
              tz=tz).stdout
    assert "4th Wednesday" in out and "JST" in out
    assert re.search(r"2026-11-25 Wed 20:00\s+2026-11-26 Thu 08:00\s+"
                     r"in progress", out)
    assert "2026-12-23 Wed 20:00" in out
    assert "2027-01-27 Wed 20:00" in out
    for line in out.splitlines():
        assert len(line) <= 80


def test_maintenance_usage_errors():
    for args in (["maintenance", "--count", "0"],
                 ["maintenance", "--count", "x"],
                 ["maintenance", "--after", "tomorrow"],
                 ["maintenance", "--after", "2026-11-24T25:00"]):
        p = run(*args, check=False)
        assert p.returncode == 3, args
        assert "usage: renewctl maintenance" in p.stderr


# --- colour ------------------------------------------------------------------------

def run_on_pty(*args, env_extra=None):
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update({"TERM": "xterm", "TZ": "UTC"})
    if env_extra:
        env.update(env_extra)
    p = subprocess.Popen(wrap([RENEWCTL, *args]), stdout=slave, stderr=slave,
                         env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert p.wait(timeout=scaled(30)) == 0
    return b"".join(chunks).decode()


def test_colour_only_on_a_terminal_and_never_with_no_color():
    args = ("plan", "--expiry", "2027-01-06")
    assert "\x1b[" in run_on_pty(*args)
    assert "\x1b[" not in run_on_pty(*args, env_extra={"NO_COLOR": "1"})
    assert "\x1b[" not in run_on_pty(*args, env_extra={"NO_COLOR": ""})
    assert "\x1b[" not in run_on_pty(*args, "--json")


# --- the command table -----------------------------------------------------------

def test_version():
    assert re.fullmatch(r"renewctl version \d+\.\d+\.\d+\n",
                        run("version").stdout)
    assert run("ver").stdout == run("version").stdout
    got = run_json("version")
    assert re.fullmatch(r"\d+\.\d+\.\d+", got["version"])


def test_help_lists_every_command():
    out = run("--help").stdout
    for cmd in ["status", "show", "history", "probe", "mark", "reset",
                "reload", "queue", "maintenance", "plan", "check-csr",
                "check-bundle", "version", "help"]:
        assert re.search(rf"^  {cmd} ", out, re.M), cmd
    assert "Exit status" in out
    assert run("help").stdout == out


def test_command_help():
    a = run("help", "plan").stdout
    b = run("plan", "--help").stdout
    c = run("help", "pl").stdout
    assert a == b == c
    assert a.startswith("usage: renewctl plan --expiry")
    assert "--lifetime" in a
    assert run("status", "--help").stdout.startswith(
        "usage: renewctl status")


@pytest.mark.parametrize("word,names", [
    ("s", "status, show"), ("ma", "mark, maintenance"),
    ("p", "probe, plan"), ("h", "history, help"), ("re", "reset, reload"),
    ("check", "check-csr, check-bundle"),
])
def test_ambiguous_prefix(word, names):
    p = run(word, check=False)
    assert p.returncode == 3
    assert f'ambiguous command "{word}": {names}' in p.stderr


def test_unique_prefixes():
    assert run_json("pl", "--expiry", "2027-03-31")["apply_by"] == \
        "2027-03-23"
    assert "windows" in run_json("mai", "--count", "1")


def test_unknown_command_and_options():
    for args in (["frobnicate"], [], ["-z", "version"], ["--bogus"],
                 ["version", "extra"]):
        p = run(*args, check=False)
        assert p.returncode == 3, args
        assert "usage: renewctl" in p.stderr


# --- with a config file (-c) ---------------------------------------------------------

def write_conf(tmp_path, text):
    path = tmp_path / "renewd.conf"
    path.write_text(text)
    return str(path)


def test_plan_with_config(tmp_path):
    conf = write_conf(tmp_path, """\
[renewd]
thresholds = 60, 30
remind_at = 21:00

[ca]
maintenance = 4th-wed 20:00-08:00
review_days_ssl = 3
install_days = 2
closed = 12-29..01-03, 08-13..08-16
""")
    got = run_json("plan", "-c", conf, "--expiry", "2026-08-20")
    # 5 business days back over the summer closure and Mountain Day.
    assert got["apply_by"] == "2026-08-10"
    assert got["reminders"] == [
        {"threshold": 60, "due": "2026-06-21T21:00:00+09:00"},
        {"threshold": 30, "due": "2026-07-21T21:00:00+09:00"},
    ]
    # A reminder at 21:00 on a 4th Wednesday is deferred to 08:00.
    got = run_json("plan", "-c", conf, "--expiry", "2026-12-25")
    assert got["reminders"][1] == {"threshold": 30,
                                   "due": "2026-11-26T08:00:00+09:00"}
    # The global -c works too.
    assert run_json("-c", conf, "plan", "--expiry", "2026-12-25") == got


@pytest.mark.parametrize("remind_at", [(7, 30), (21, 0), (20, 0)])
def test_plan_deferral_many_dates_against_model(tmp_path, remind_at):
    # Reminders that fall due in the evening or early morning of a window
    # day are deferred to 08:00.
    conf = write_conf(tmp_path, "[renewd]\nthresholds = 90, 60, 45, 30, 15\n"
                      "remind_at = %02d:%02d\n" % remind_at)
    mismatches, deferred = [], 0
    for expiry in spread_dates():
        got = run_json("plan", "-c", conf, "--expiry", expiry.isoformat())
        want = model_plan(expiry, "ssl", remind_at=remind_at)
        deferred += sum(r["due"].endswith("T08:00:00+09:00")
                        for r in want["reminders"])
        if got != want:
            mismatches.append((expiry.isoformat(), got, want))
    assert not mismatches, mismatches[:3]
    assert deferred > 0


def test_plan_percentage_thresholds(tmp_path):
    conf = write_conf(tmp_path, "[renewd]\nthresholds = 90, 33%, 15\n")
    got = run_json("plan", "-c", conf, "--expiry", "2027-03-31")
    assert got["reminders"][0] == {"threshold": 90,
                                   "due": "2026-12-31T09:00:00+09:00"}
    assert got["reminders"][1]["threshold"] == "33%"
    assert got["reminders"][1]["due"] is None
    got = run_json("plan", "-c", conf, "--expiry", "2027-03-31",
                   "--lifetime", "47")
    assert got["lifetime"] == 47
    assert got["reminders"][0]["due"] is None          # 90 >= 47 days
    # 33 % of 47 days is 15.5 days: rounded down, as the daemon does
    assert got["reminders"][1] == {"threshold": "33%", "days": 15,
                                   "due": "2027-03-16T09:00:00+09:00"}
    assert got["reminders"][2] == {"threshold": 15,
                                   "due": "2027-03-16T09:00:00+09:00"}
    out = run("plan", "-c", conf, "--expiry", "2027-03-31").stdout
    assert "needs --lifetime" in out


def test_maintenance_with_config(tmp_path):
    conf = write_conf(tmp_path, "[ca]\nmaintenance = 2nd-tue 01:00-05:00\n")
    got = run_json("maintenance", "-c", conf, "--after", "2026-11-01",
                   "--count", "2")
    assert got["windows"] == [
        {"start": "2026-11-10T01:00:00+09:00",
         "end": "2026-11-10T05:00:00+09:00"},
        {"start": "2026-12-08T01:00:00+09:00",
         "end": "2026-12-08T05:00:00+09:00"},
    ]


def test_bad_config_is_exit_3(tmp_path):
    conf = write_conf(tmp_path, "[ca]\nreview_days_ssl = soon\n")
    p = run("plan", "-c", conf, "--expiry", "2027-03-31", check=False)
    assert p.returncode == 3
    assert p.stdout == ""
    assert re.search(r"renewd\.conf:2: ", p.stderr)
    p = run("plan", "-c", str(tmp_path / "missing.conf"), "--expiry",
            "2027-03-31", check=False)
    assert p.returncode == 3
