#!/usr/bin/python3
"""The agent PIN lock-out survives kioskd being killed.

Someone at the kiosk guesses an agent's PIN five times; the screen says the
agent is locked. kioskd is then killed with SIGKILL (as a power cut or a
crash would stop it, with no chance to save anything) and started again: the
right PIN is still refused inside the lock, `kioskctl status` and /metrics
show the agent locked. Run by make test.

    Tests/Hostile/lockout_test.py
"""
import json, os, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from simstation import Station, wait_until as wait  # noqa: E402

BIN = os.path.join(ROOT, ".build/debug")
AGENT = {"card": "zhou-ping-agent", "number": "34010419790923031X", "name": "周平"}
PIN = "246810"


def fail(message):
    print("lockout FAILED: " + message, file=sys.stderr)
    sys.exit(1)


def main():
    folder = tempfile.mkdtemp(prefix="kioskd-lockout-")
    station = Station(BIN, os.path.join(folder, "station"))
    state = os.path.join(folder, "state")
    hashed = subprocess.run([os.path.join(BIN, "kioskctl"), "agent", "hash-pin"], input=PIN + "\n", capture_output=True, text=True, check=True).stdout.strip()
    agents = os.path.join(folder, "agents.json")
    with open(agents, "w") as f:
        json.dump({"agents": [{"id": "agent01", "name": AGENT["name"], "card_number": AGENT["number"], "pin_hash": hashed}]}, f)
    env = dict(station.env, KIOSKD_SESSION_AGENTS_FILE=agents, KIOSKD_ADMIN_SOCKET=os.path.join(state, "admin.sock"))
    kioskd = None
    try:
        kioskd, _ = station.start_kioskd(state, env=env)

        def screen():
            return station.api("/api/screen", state_dir=state)

        def present_agent_card():
            station.control("idcard_reader", "card", "put", AGENT["card"])
            wait("the PIN screen", lambda: screen()["screen"] == "agent_pin")

        present_agent_card()
        # Each PIN is checked off the screen's threads (scrypt): the next is typed once the answer shows.
        for tries_left, guess in zip((4, 3, 2, 1, 0), ("000001", "000002", "000003", "000004", "000005")):
            station.api("/api/touch", {"type": "agent_pin", "pin": guess}, state_dir=state)
            expected = "还可尝试%d次" % tries_left if tries_left else "已锁定"
            wait("the answer to PIN %s (%s)" % (guess, expected), lambda: expected in (screen().get("notice") or ""))

        # No goodbye: SIGKILL, as a power cut or a crash would.
        kioskd.kill()
        kioskd.wait(10)
        station.control("idcard_reader", "card", "remove")
        time.sleep(1)
        kioskd, _ = station.start_kioskd(state, env=env)
        status = subprocess.run([os.path.join(BIN, "kioskctl"), "status", "--socket", os.path.join(state, "admin.sock")],
                                capture_output=True, text=True)
        if "AGENT LOCKED" not in status.stdout:
            fail("kioskctl status after the restart does not show the lock:\n" + status.stdout)
        metrics = subprocess.run(["curl", "-s", "http://%s/metrics" % station.listen], capture_output=True, text=True).stdout
        if "kioskd_agents_locked 1" not in metrics:
            fail("/metrics after the restart does not count the locked agent")

        present_agent_card()
        station.api("/api/touch", {"type": "agent_pin", "pin": PIN}, state_dir=state)
        wait("the answer to the right PIN", lambda: screen().get("notice") or screen()["screen"] != "agent_pin")
        after = screen()
        if after["screen"] == "agent_console" or "已锁定" not in (after.get("notice") or ""):
            fail("the right PIN was taken inside the lock after a SIGKILL and restart: %s" % json.dumps(after, ensure_ascii=False)[:400])
        print("lockout: five wrong PINs locked the agent; after SIGKILL and a restart the lock holds (the right PIN refused, "
              "kioskctl status AGENT LOCKED, kioskd_agents_locked 1)")
    finally:
        if kioskd:
            Station.stop_kioskd(kioskd)
        station.close()


if __name__ == "__main__":
    main()
