#!/usr/bin/env python3
"""`personac preview` driven in a real browser: headless Chromium through
WebDriver (Python selenium, Debian's chromium and chromium-driver).

    preview_test.py PERSONAC REPO [--screenshot docs/preview.png]

REPO's sources (personac.toml personas parts traits skills guardrails arcs)
are copied to a temp dir and built there; the page must show maya's detail
view exactly as `build-output/maya/detail.md`, the voice channel as
`channels/voice/detail.md`, follow a save within 2 seconds without a
reload, show a broken save's diagnostic while keeping the view, give
a line's file:line on a click of its label, and in diff mode show a saved
change against HEAD side by side with its token delta. A foreign Host is
refused.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

SOURCES = ["personac.toml", "personas", "parts", "traits", "skills", "guardrails", "arcs", "templates"]
PART = "parts/identity/identity-maya.md"


def text_of(driver, element_id):
    """What copying the element gives: its text content, byte for byte."""
    return driver.execute_script("return document.getElementById(arguments[0]).textContent", element_id)


def wait_for(driver, what, check, timeout=20.0):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.02).until(lambda d: check(d))
    except Exception:
        shown = text_of(driver, "diff") if driver.find_element(By.ID, "diff").is_displayed() else text_of(driver, "view")
        sys.exit(f"FAIL: {what} (within {timeout} s); the page shows:\n{shown[:600]}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("personac")
    parser.add_argument("repo")
    parser.add_argument("--screenshot")
    args = parser.parse_args()
    personac = os.path.abspath(args.personac)

    tmp = tempfile.mkdtemp(prefix="personac-preview-")
    root = os.path.join(tmp, "repo")
    os.mkdir(root)
    for name in SOURCES:
        src = os.path.join(args.repo, name)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(root, name))
        elif os.path.isfile(src):
            shutil.copy(src, root)
    subprocess.run([personac, "-q", "-C", root, "build"], check=True)
    # A git repository, for the diff mode's HEAD.
    git = ["git", "-C", root, "-c", "user.name=preview", "-c", "user.email=preview@example.invalid"]
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "the example"]):
        subprocess.run(git + step, check=True)
    read = lambda rel: open(os.path.join(root, rel), encoding="utf-8", newline="").read()
    detail, voice = read("build-output/maya/detail.md"), read("build-output/maya/channels/voice/detail.md")

    server = subprocess.Popen([personac, "-C", root, "preview", "--port", "0"], stderr=subprocess.PIPE, text=True)
    driver = None
    try:
        line = server.stderr.readline()
        match = re.fullmatch(r"Preview (http://127\.0\.0\.1:(\d+)/)\n", line)
        if not match:
            sys.exit(f"FAIL: expected `Preview http://127.0.0.1:PORT/` on stderr, got {line!r}")
        url, port = match.group(1), int(match.group(2))

        # DNS rebinding: a page of another host's name is refused.
        for headers in ({"Host": f"evil.example:{port}"}, {"Host": f"127.0.0.1:{port}", "Origin": "http://evil.example"}):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/api/personas", headers=headers)
            status = conn.getresponse().status
            conn.close()
            if status != 403:
                sys.exit(f"FAIL: {headers} answered {status}, not 403")
        print("ok: a foreign Host or Origin is refused (403)")

        options = webdriver.ChromeOptions()
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
            options.add_argument(flag)
        if shutil.which("chromium"):
            options.binary_location = shutil.which("chromium")
        driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
        driver.get(url)

        wait_for(driver, "the persona list", lambda d: d.find_elements(By.CSS_SELECTOR, '#personas button[data-name="maya"]'))
        search = driver.find_element(By.ID, "search")
        search.send_keys("may")
        names = [b.get_attribute("data-name") for b in driver.find_elements(By.CSS_SELECTOR, "#personas button")]
        if names != ["maya"]:
            sys.exit(f"FAIL: searching `may` lists {names}")
        driver.find_element(By.CSS_SELECTOR, '#personas button[data-name="maya"]').click()
        wait_for(driver, "maya's detail view, equal to build-output/maya/detail.md", lambda d: text_of(d, "view") == detail)
        print("ok: maya's detail on the page equals build-output/maya/detail.md")
        labels = driver.find_elements(By.CSS_SELECTOR, "#gutter a")
        if len(labels) != detail.count("\n"):
            sys.exit(f"FAIL: {len(labels)} labels for {detail.count(chr(10))} lines")

        Select(driver.find_element(By.ID, "channel")).select_by_value("voice")
        wait_for(driver, "the voice channel, equal to channels/voice/detail.md", lambda d: text_of(d, "view") == voice)
        print("ok: the voice channel equals build-output/maya/channels/voice/detail.md")
        # The part the voice channel's layer replaced is struck through, with why.
        warm = driver.find_element(By.CSS_SELECTOR, '#parts .part.dropped[data-part="tone-warm"]')
        name = warm.find_element(By.CSS_SELECTOR, ".name")
        if "line-through" not in name.value_of_css_property("text-decoration") or "replaced at layer channel:voice by tone-spoken" not in warm.text:
            sys.exit(f"FAIL: tone-warm on the voice channel shows {warm.text!r}")
        print(f"ok: the replaced part is struck through: {warm.text!r}")
        Select(driver.find_element(By.ID, "channel")).select_by_value("")
        wait_for(driver, "the default channel again", lambda d: text_of(d, "view") == detail)

        # A save: the page follows without a reload (the marker survives).
        driver.execute_script("window.__notReloaded = true")
        original = read(PART)
        changed = detail.replace("Your name is Maya.", "Your name is Maya Preview.")
        saved = time.monotonic()
        with open(os.path.join(root, PART), "w", encoding="utf-8", newline="") as f:
            f.write(original.replace("Your name is Maya.", "Your name is Maya Preview."))
        wait_for(driver, "the saved part on the page within 2 s", lambda d: text_of(d, "view") == changed, timeout=2.0)
        took = time.monotonic() - saved
        if not driver.execute_script("return window.__notReloaded === true"):
            sys.exit("FAIL: the page reloaded")
        print(f"ok: a save shows on the page in {took * 1000:.0f} ms, without a reload")

        # A broken save: the diagnostic is shown, the view stays.
        with open(os.path.join(root, PART), "w", encoding="utf-8", newline="") as f:
            f.write('+++\ntype = "identity"\nsummary = \n+++\nBroken.\n')
        box = driver.find_element(By.ID, "diagnostics")
        wait_for(driver, "the broken save's diagnostic", lambda d: box.is_displayed() and PART in box.text)
        if text_of(driver, "view") != changed:
            sys.exit("FAIL: the view changed on a broken save")
        print(f"ok: a broken save shows its diagnostic ({box.text.splitlines()[1]!r}) and keeps the view")
        with open(os.path.join(root, PART), "w", encoding="utf-8", newline="") as f:
            f.write(original)
        wait_for(driver, "the mended part", lambda d: not box.is_displayed() and text_of(d, "view") == detail)
        print("ok: mended, the diagnostics go and the view is the built one again")

        # Diff mode: a save against HEAD, side by side, with its token delta
        # (before the editor link's click, after which clicks may not reach the page).
        with open(os.path.join(root, PART), "w", encoding="utf-8", newline="") as f:
            f.write(original.replace("Your name is Maya.", "Your name is Maya Preview."))
        wait_for(driver, "the saved part again", lambda d: text_of(d, "view") == changed)
        driver.find_element(By.ID, "diffmode").click()
        detail_diff = '#diff section[data-persona="maya"] details[data-path="detail.md"]'
        row = f"{detail_diff} tr"

        def changed_row(d):
            for tr in d.find_elements(By.CSS_SELECTOR, row):
                cells = tr.find_elements(By.CSS_SELECTOR, "td.del, td.ins")
                texts = {c.get_attribute("class"): c.text for c in cells}
                if texts.get("del", "").startswith("Your name is Maya.") and texts.get("ins", "").startswith("Your name is Maya Preview."):
                    return True
            return False

        wait_for(driver, "maya's detail.md changed line side by side in diff mode", changed_row)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/api/diff?rev=HEAD", headers={"Host": f"127.0.0.1:{port}"})
        report = json.loads(conn.getresponse().read())
        conn.close()
        maya = next(p for p in report["personas"] if p["name"] == "maya")
        delta = next(a for a in maya["artifacts"] if a["path"] == "detail.md")["token_delta"]
        shown_delta = driver.find_element(By.CSS_SELECTOR, f"{detail_diff} .delta").text
        if delta == 0 or shown_delta != f"({delta:+d})":
            sys.exit(f"FAIL: the token delta shown is {shown_delta!r}, the report's {delta}")
        print(f"ok: diff mode shows the changed line side by side and the token delta {shown_delta}")
        driver.find_element(By.ID, "diffmode").click()
        with open(os.path.join(root, PART), "w", encoding="utf-8", newline="") as f:
            f.write(original)
        wait_for(driver, "the view again, mended", lambda d: d.find_element(By.ID, "view").is_displayed() and text_of(d, "view") == detail)

        # A line's label gives its file:line (and links it for the editor).
        number = next(i for i, l in enumerate(detail.split("\n")) if l.startswith("Your name is Maya."))
        label = driver.find_element(By.CSS_SELECTOR, f'#gutter a[data-line="{number}"]')
        href = label.get_attribute("href")
        # `vscode://file/` then the absolute path without its leading slash.
        want = {f"vscode://file/{p.lstrip('/')}:7" for p in (os.path.join(root, PART), os.path.realpath(os.path.join(root, PART)))}
        if href not in want:
            sys.exit(f"FAIL: the label links {href}, not {want}")
        driver.execute_script("arguments[0].scrollIntoView()", label)
        label.click()
        selected = driver.find_element(By.ID, "selected").text
        if selected != f"{PART}:7":
            sys.exit(f"FAIL: clicking the label gave {selected!r}, not {PART}:7")
        print(f"ok: clicking a line's label gives {selected} ({href})")

        if args.screenshot:
            # Emptied as typing would, with the input event the page listens to
            # (after the editor link's click, keys may not reach the field).
            driver.execute_script("const s = document.getElementById('search'); s.value = ''; s.dispatchEvent(new Event('input'));")
            wait_for(driver, "every persona listed again", lambda d: len(d.find_elements(By.CSS_SELECTOR, "#personas button")) > 1)
            driver.execute_script("window.scrollTo(0, 0)")
            driver.save_screenshot(args.screenshot)
            print(f"ok: screenshot in {args.screenshot}")
    finally:
        if driver:
            driver.quit()
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("preview_test: all passed")


if __name__ == "__main__":
    main()
